"""Server API of badges: define them, their image, holders, a contact's badges, manual
award and revoke; every refused request leaves what was stored as it was."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from parrain.core.factories import ContactFactory, ProgramFactory, RewardRuleFactory
from parrain.core.models import AuditEvent, Badge, BadgeCondition, BadgeHolding
from parrain.core.models.choices import Side
from parrain.core.services import badges
from tests.core.badge_helpers import invite

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db

BRONZE = {
    "names": {"fr": "Bronze", "en": "Bronze"},
    "conditions": [{"kind": "friends_converted", "threshold": 1}],
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_URL = "/media/"
    return tmp_path


@pytest.fixture(autouse=True)
def recomputes(monkeypatch):
    """The reasons of the background re-evaluations asked for (the real ones run too)."""
    asked: list[str] = []
    real = badges.start_recompute

    def spy(program, *, reason=""):
        asked.append(reason)
        return real(program, reason=reason)

    monkeypatch.setattr(badges, "start_recompute", spy)
    return asked


@pytest.fixture
def eve(program):
    return ContactFactory(program=program, email="eve@example.com", external_id="cust-7")


def _create(api: ApiClient, body=None) -> dict:
    response = api.call("post", "/badges", body or BRONZE)
    assert response.status_code == 201, response.content
    return response.json()


def _png(size=(600, 300), mode="RGBA", fmt="PNG") -> bytes:
    out = BytesIO()
    Image.new(mode, size, (200, 120, 40, 128) if mode == "RGBA" else (200, 120, 40)).save(
        out, format=fmt
    )
    return out.getvalue()


def _upload(api: ApiClient, badge_id: int, data: bytes, name: str = "badge.png"):
    file = BytesIO(data)
    file.name = name
    return Client().put(
        f"/api/v1/programs/{api.program.slug}/badges/{badge_id}/image",
        data=encode_multipart(BOUNDARY, {"image": file}),
        content_type=MULTIPART_CONTENT,
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def _snapshot(program) -> list:
    rows = Badge.objects.filter(program=program).order_by("pk")
    return [
        (b.pk, b.rank, b.names, b.colour, b.match, b.image.name, b.reward_rule_id)
        + tuple(b.conditions.order_by("pk").values_list("kind", "threshold", "required_badge"))
        for b in rows
    ]


# Defining badges


def test_a_badge_is_created_with_its_conditions_audited_and_re_evaluated(api, recomputes):
    body = _create(
        api,
        {
            "names": {"fr": "Or", "en": "Gold"},
            "descriptions": {"en": "Our best ambassadors"},
            "colour": "#FFD700",
            "match": "any",
            "keep_once_earned": False,
            "conditions": [
                {"kind": "friends_converted", "threshold": 5, "period_days": 90},
                {
                    "kind": "action_count",
                    "threshold": 3,
                    "action_kind": "custom",
                    "custom_kind": "unboxing video",
                },
            ],
        },
    )

    assert body["name"] == "Or" and body["rank"] == 1 and body["colour"] == "#ffd700"
    assert [c["kind"] for c in body["conditions"]] == ["friends_converted", "action_count"]
    assert body["conditions"][0]["period_days"] == 90
    assert body["conditions"][1]["custom_kind"] == "unboxing video"
    assert api.call("get", f"/badges/{body['id']}").json() == body
    assert AuditEvent.objects.filter(action="badge.created").count() == 1
    assert len(recomputes) == 1 and "Or" in recomputes[0]
    assert body["recompute"]["state"] == "queued" and "Or" in body["recompute"]["reason"]
    assert _create(api)["rank"] == 2  # next one goes after the last


def test_a_patch_changes_only_what_it_sends_and_new_conditions_re_evaluate(api, recomputes):
    badge = _create(api)
    recomputes.clear()

    renamed = api.call("patch", f"/badges/{badge['id']}", {"colour": "#112233"})
    assert renamed.status_code == 200 and renamed.json()["names"] == badge["names"]
    assert recomputes == []  # a colour changes nobody's badge

    body = {"conditions": [{"kind": "invitations_sent", "threshold": 10}], "match": "any"}
    changed = api.call("patch", f"/badges/{badge['id']}", body).json()
    assert [c["kind"] for c in changed["conditions"]] == ["invitations_sent"]
    assert changed["match"] == "any" and changed["colour"] == "#112233"
    assert len(recomputes) == 2  # the match, then the conditions


def test_the_list_is_by_rank(api):
    _create(api, {**BRONZE, "rank": 5, "names": {"fr": "Argent"}})
    _create(api, {**BRONZE, "rank": 2, "names": {"fr": "Bronze"}})
    assert [b["name"] for b in api.call("get", "/badges").json()["items"]] == ["Bronze", "Argent"]


def test_a_badge_carries_a_referrer_reward_of_its_program(api, program):
    rule = RewardRuleFactory(program=program, side=Side.REFERRER)
    assert _create(api, {**BRONZE, "reward_rule": rule.pk})["reward_rule"] == rule.pk


def test_deleting_a_badge_removes_it_and_its_image(api, media, django_capture_on_commit_callbacks):
    badge = _create(api)
    assert _upload(api, badge["id"], _png()).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert api.call("delete", f"/badges/{badge['id']}").status_code == 204
    assert not Badge.objects.exists()
    assert not list(media.rglob("*.png"))
    assert_problem(api.call("get", f"/badges/{badge['id']}"), 404, "badge_id")


# Bad input: a clear 4xx, nothing stored changes


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        ({"kind": "friends_converted", "threshold": 0}, "conditions.0.threshold"),
        ({"kind": "friends_converted", "threshold": -3}, "conditions.0.threshold"),
        ({"kind": "friends_met_at_the_pub", "threshold": 2}, "conditions.0.kind"),
        (
            {"kind": "friends_converted", "threshold": 2, "period_days": 0},
            "conditions.0.period_days",
        ),
        ({"kind": "friends_converted", "threshold": 2.5}, "conditions.0.threshold"),
        ({"kind": "action_count", "threshold": 2}, "conditions.0.action_kind"),
        (
            {"kind": "action_count", "threshold": 2, "action_kind": "custom"},
            "conditions.0.custom_kind",
        ),
        ({"kind": "holds_badge"}, "conditions.0.required_badge"),
        ({"kind": "points_balance", "threshold": 9, "period_days": 30}, "conditions.0.period_days"),
    ],
)
def test_a_bad_condition_is_a_422_naming_it_and_changes_nothing(api, condition, field):
    kept = _create(api)
    before = _snapshot(api.program)

    assert_problem(api.call("post", "/badges", {**BRONZE, "conditions": [condition]}), 422, field)
    patch = {"colour": "#000000", "conditions": [condition]}
    assert_problem(api.call("patch", f"/badges/{kept['id']}", patch), 422, field)

    assert _snapshot(api.program) == before


def test_a_name_in_the_default_language_is_required(api, program):
    assert program.default_language == "fr"
    body = assert_problem(
        api.call("post", "/badges", {**BRONZE, "names": {"en": "Gold"}}), 422, "names.fr"
    )
    assert "fr" in body["detail"]
    assert_problem(
        api.call("post", "/badges", {**BRONZE, "names": {"fr": "Or", "de": "Gold"}}),
        422,
        "names.de",
    )
    assert not Badge.objects.exists()


def test_circular_prerequisites_are_refused(api):
    a = _create(api, {**BRONZE, "names": {"fr": "A"}})
    b = _create(
        api,
        {"names": {"fr": "B"}, "conditions": [{"kind": "holds_badge", "required_badge": a["id"]}]},
    )
    before = _snapshot(api.program)

    circle = {"conditions": [{"kind": "holds_badge", "required_badge": b["id"]}]}
    body = assert_problem(api.call("patch", f"/badges/{a['id']}", circle), 422, "conditions")
    assert "A" in body["detail"]
    itself = {"conditions": [{"kind": "holds_badge", "required_badge": a["id"]}]}
    assert_problem(
        api.call("patch", f"/badges/{a['id']}", itself), 422, "conditions.0.required_badge"
    )

    assert _snapshot(api.program) == before


def test_another_program_s_badge_or_rule_cannot_be_named(api):
    other = ProgramFactory()
    foreign = Badge.objects.create(program=other, names={"fr": "Ailleurs"})
    foreign_rule = RewardRuleFactory(program=other, side=Side.REFERRER)
    own_referee_rule = RewardRuleFactory(program=api.program, side=Side.REFEREE)

    holds = {"kind": "holds_badge", "required_badge": foreign.pk}
    assert_problem(
        api.call("post", "/badges", {**BRONZE, "conditions": [holds]}),
        422,
        "conditions.0.required_badge",
    )
    for rule in (foreign_rule, own_referee_rule):
        assert_problem(
            api.call("post", "/badges", {**BRONZE, "reward_rule": rule.pk}), 422, "reward_rule"
        )
    for method, path in (
        ("get", f"/badges/{foreign.pk}"),
        ("patch", f"/badges/{foreign.pk}"),
        ("delete", f"/badges/{foreign.pk}"),
        ("get", f"/badges/{foreign.pk}/holders"),
    ):
        assert_problem(api.call(method, path, {} if method == "patch" else None), 404, "badge_id")
    assert Badge.objects.filter(program=api.program).count() == 0
    assert Badge.objects.get(pk=foreign.pk).names == {"fr": "Ailleurs"}


def test_a_required_badge_cannot_be_deleted(api):
    a = _create(api, {**BRONZE, "names": {"fr": "A"}})
    _create(
        api,
        {"names": {"fr": "B"}, "conditions": [{"kind": "holds_badge", "required_badge": a["id"]}]},
    )
    body = assert_problem(api.call("delete", f"/badges/{a['id']}"), 422, "badge")
    assert "B" in body["detail"]
    assert BadgeCondition.objects.filter(required_badge_id=a["id"]).count() == 1


# Images


def test_an_image_becomes_a_256_px_png_thumbnail_and_replaces_the_old_one(
    api, media, django_capture_on_commit_callbacks
):
    badge = _create(api)
    first = _upload(api, badge["id"], _png((600, 300)))
    assert first.status_code == 200, first.content
    assert first.json()["image_url"].endswith(".png")
    stored = Badge.objects.get(pk=badge["id"]).image
    with Image.open(stored.path) as thumb:
        assert (thumb.format, thumb.size, thumb.mode) == ("PNG", (256, 128), "RGBA")

    with django_capture_on_commit_callbacks(execute=True):
        second = _upload(api, badge["id"], _png((100, 100), mode="RGB", fmt="JPEG"), "b.jpg")
    assert second.status_code == 200
    current = Badge.objects.get(pk=badge["id"]).image
    assert current.name != stored.name
    assert [p.name for p in media.rglob("*.png")] == [current.name.rsplit("/", 1)[1]]


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)


@pytest.mark.parametrize(
    ("data", "name", "status", "words"),
    [
        (SVG, "badge.svg", 422, "SVG"),
        (b"<svg onload=alert(1)>", "badge.png", 422, "SVG"),
        (b"%PDF-1.4 not a picture at all", "badge.png", 422, "not a PNG"),
        (_png()[:200], "badge.png", 422, "not a PNG"),  # truncated: fails verification
        (_png(fmt="GIF", mode="RGB"), "badge.gif", 422, "not a PNG"),
        (b"\x89PNG" + b"0" * (1024 * 1024), "big.png", 413, "1 MB"),
        (b"\x89PNG" + b"0" * (1024 * 1024 + 40_000), "huge.png", 413, "1 MB"),
    ],
)
def test_a_refused_image_keeps_the_badge_s_picture(api, media, data, name, status, words):
    badge = _create(api)
    assert _upload(api, badge["id"], _png()).status_code == 200
    before = _snapshot(api.program)

    body = assert_problem(_upload(api, badge["id"], data, name), status, "image")

    assert words in body["detail"]
    assert _snapshot(api.program) == before
    assert Badge.objects.get(pk=badge["id"]).image.storage.exists(before[0][5])


def test_an_image_sent_as_json_is_refused(api):
    badge = _create(api)
    assert_problem(api.call("put", f"/badges/{badge['id']}/image", {"image": "x"}), 422, "image")


# Holders, a contact's badges, manual decisions


def test_holders_are_paginated_latest_first(api, program):
    badge = Badge.objects.get(pk=_create(api)["id"])
    people = [ContactFactory(program=program, email=f"h{n}@example.com") for n in range(5)]
    for contact in people:
        BadgeHolding.objects.create(badge=badge, contact=contact)
    BadgeHolding.objects.filter(contact=people[0]).update(lost_at=badge.created_at)

    first = api.call("get", f"/badges/{badge.pk}/holders?limit=3").json()
    rest = api.call(
        "get", f"/badges/{badge.pk}/holders?limit=3&cursor={first['next_cursor']}"
    ).json()
    assert [h["email"] for h in first["items"] + rest["items"]] == [
        "h4@example.com",
        "h3@example.com",
        "h2@example.com",
        "h1@example.com",
    ]
    assert rest["next_cursor"] is None
    history = api.call("get", f"/badges/{badge.pk}/holders?history=true").json()
    assert len(history["items"]) == 5
    assert_problem(api.call("get", f"/badges/{badge.pk}/holders?cursor=nonsense"), 400, "cursor")


def test_manual_award_and_revoke_need_a_reason_and_answer_what_changed(api, eve):
    badge = _create(api)
    path = f"/contacts/{eve.email}/badges/{badge['id']}"

    assert_problem(api.call("post", f"{path}/award", {}), 422, "reason")
    assert_problem(api.call("post", f"{path}/award", {"reason": ""}), 422, "reason")
    assert not BadgeHolding.objects.exists()

    given = api.call("post", f"{path}/award", {"reason": "met at the fair"})
    again = api.call("post", f"{path}/award", {"reason": "twice"})
    assert (given.status_code, again.status_code) == (201, 200)
    assert given.json()["held"] and not again.json()["changed"]

    shown = api.call("get", f"/contacts/{eve.email}/badges?language=en").json()
    assert shown["current"]["id"] == badge["id"]
    assert [b["id"] for b in shown["earned"]] == [badge["id"]]

    taken = api.call(
        "post",
        f"/contacts/cust-7/badges/{badge['id']}/revoke?by=external_id",
        {"reason": "mistake"},
    )
    assert taken.status_code == 200 and taken.json() == {
        **taken.json(),
        "held": False,
        "changed": True,
    }
    twice = api.call("post", f"{path}/revoke", {"reason": "mistake"})
    assert twice.json()["changed"] is False
    holding = BadgeHolding.objects.get()
    assert holding.lost_at is not None and holding.awarded_by.startswith("api:")


def test_a_contact_s_badges_show_the_next_one_with_progress(api, program, eve):
    _create(api, {**BRONZE, "conditions": [{"kind": "invitations_sent", "threshold": 3}]})
    invite(eve)

    body = api.call("get", f"/contacts/{eve.email}/badges?language=en").json()

    assert body["current"] is None and body["earned"] == [] and body["balance"] == 0
    assert body["next"]["name"] == "Bronze"
    [condition] = body["next"]["conditions"]
    assert (condition["met"], condition["label"]) == (False, "1 / 3 invitations sent")
    assert body["next"]["missing"] == "2 more invitations sent"


def test_unknown_contact_or_badge_is_a_404(api, eve):
    badge = _create(api)
    reason = {"reason": "because"}
    assert_problem(api.call("get", "/contacts/nobody@example.com/badges"), 404, "contact")
    assert_problem(
        api.call("post", f"/contacts/nobody@example.com/badges/{badge['id']}/award", reason),
        404,
        "contact",
    )
    assert_problem(
        api.call("post", f"/contacts/{eve.email}/badges/999999/award", reason), 404, "badge_id"
    )
    foreign = Badge.objects.create(program=ProgramFactory(), names={"fr": "Ailleurs"})
    assert_problem(
        api.call("post", f"/contacts/{eve.email}/badges/{foreign.pk}/award", reason),
        404,
        "badge_id",
    )
    stranger = ContactFactory(program=foreign.program, email="zed@example.com")
    assert_problem(
        api.call("post", f"/contacts/{stranger.email}/badges/{badge['id']}/award", reason),
        404,
        "contact",
    )
    assert not BadgeHolding.objects.exists()
