"""Server API of contests: set up, open, export entries, draw (idempotent), redraw,
delivered; every refusal is a problem naming its field and leaves what was stored."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Contest, ContestWinner
from parrain.core.services import contest_setup
from tests.core.contest_helpers import make_contest

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


def body(**extra):
    start = timezone.now() + timedelta(hours=1)
    data = {
        "name": "Spring draw",
        "names": {"fr": "Tirage de printemps", "en": "Spring draw"},
        "rules_texts": {"en": "One ticket per converted friend."},
        "entries_start": start.isoformat(),
        "entries_end": (start + timedelta(days=5)).isoformat(),
        "draw_at": (start + timedelta(days=6)).isoformat(),
        "ticket_cap": 10,
        "public_value_source": "drand round 7000000",
        "prizes": [
            {"label": "Bike", "quantity": 1},
            {"label": "Voucher", "quantity": 2, "reward": {"kind": "fixed_amount", "value": "25"}},
        ],
    }
    data.update(extra)
    return data


def _create(api: ApiClient, **extra) -> dict:
    response = api.call("post", "/contests", body(**extra), **EN)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_read_list_a_contest(api):
    created = _create(api)

    assert created["status"] == "draft" and created["commitment"] == ""
    assert created["server_seed"] is None
    assert [p["label"] for p in created["prizes"]] == ["Bike", "Voucher"]
    assert created["prizes"][1]["reward"] == {
        "kind": "fixed_amount",
        "value": "25.00",
        "product_ref": "",
    }
    assert created["public_url"].endswith(f"/contest/{created['public_id']}/")
    got = api.call("get", f"/contests/{created['id']}").json()
    assert got == created
    listed = api.call("get", "/contests?status=draft").json()["items"]
    assert [c["id"] for c in listed] == [created["id"]]
    assert api.call("get", "/contests?status=open").json()["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"draw_at": "2020-01-01T00:00:00Z"}, "draw_at"),
        ({"entries_start": "2030-01-01T10:00:00"}, "entries_start"),  # no offset
        ({"ticket_source": "badge_held"}, "badge"),
        ({"ticket_source": "loyalty_action"}, "loyalty_kind"),
        ({"names": {"de": "Verlosung"}}, "names.de"),
        ({"prizes": [{"label": "", "quantity": 1}]}, "prizes.0.label"),
        ({"prizes": [{"label": "A", "quantity": 0}]}, "prizes.0.quantity"),
        ({"rules_url": "javascript:alert(1)"}, "rules_url"),
        ({"colour": "#fff"}, "colour"),
    ],
)
def test_bad_contest_is_refused_naming_the_field(api, change, field):
    response = api.call("post", "/contests", body(**change), **EN)
    assert_problem(response, 422, field)
    assert not Contest.objects.exists()


def test_contest_without_rules_cannot_open(api):
    created = _create(api, rules_texts={}, rules_url="")

    response = api.call("post", f"/contests/{created['id']}/open", **EN)

    problem = assert_problem(response, 422, "rules_texts")
    assert "rules" in problem["detail"]
    stored = Contest.objects.get()
    assert stored.status == "draft" and stored.commitment == "" and stored.server_seed == ""


def test_open_publishes_the_commitment_only(api):
    created = _create(api)
    opened = api.call("post", f"/contests/{created['id']}/open").json()

    stored = Contest.objects.get()
    assert opened["status"] == "open"
    assert opened["commitment"] == hashlib.sha256(stored.server_seed.encode()).hexdigest()
    assert opened["server_seed"] is None  # secret until the draw
    again = api.call("post", f"/contests/{created['id']}/open", **EN)
    assert_problem(again, 409)
    assert Contest.objects.get().server_seed == stored.server_seed


def test_open_contest_keeps_its_ticket_rules(api):
    created = _create(api)
    api.call("post", f"/contests/{created['id']}/open")

    refused = api.call("patch", f"/contests/{created['id']}", {"ticket_cap": 99}, **EN)
    assert_problem(refused, 409, "ticket_cap")
    refused = api.call("patch", f"/contests/{created['id']}", {"prizes": [{"label": "Car"}]}, **EN)
    assert_problem(refused, 409, "prizes")
    changed = api.call(
        "patch", f"/contests/{created['id']}", {"rules_url": "https://shop.example/rules"}
    )
    assert changed.status_code == 200 and changed.json()["rules_url"].endswith("/rules")
    stored = Contest.objects.get()
    assert stored.ticket_cap == 10 and stored.prizes.count() == 2


def test_patch_draft_replaces_prizes_and_refuses_null(api):
    created = _create(api)
    response = api.call(
        "patch", f"/contests/{created['id']}", {"prizes": [{"label": "Car", "quantity": 1}]}
    )
    assert [p["label"] for p in response.json()["prizes"]] == ["Car"]
    assert_problem(api.call("patch", f"/contests/{created['id']}", {"name": None}), 422, "name")


def test_delete_draft_but_cancel_open(api):
    first, second = _create(api), _create(api)
    assert api.call("delete", f"/contests/{first['id']}").status_code == 204
    api.call("post", f"/contests/{second['id']}/open")
    assert_problem(api.call("delete", f"/contests/{second['id']}"), 409)
    cancelled = api.call("post", f"/contests/{second['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert list(Contest.objects.values_list("pk", flat=True)) == [second["id"]]


def test_another_programs_contest_is_not_found(api):
    other = make_contest(ProgramFactory())
    assert_problem(api.call("get", f"/contests/{other.pk}"), 404)
    assert_problem(api.call("post", f"/contests/{other.pk}/open"), 404)
    assert_problem(api.call("post", f"/contests/{other.pk}/draw", {"public_value": "1"}), 404)
    assert Contest.objects.get().status == "draft"


def test_no_key_no_contests(api):
    assert_problem(api.call("get", "/contests", key=""), 401)


# The draw (services.contests, built in i12-contest-core)


@pytest.fixture
def open_contest_with_entries(api, program):
    """An open contest of friend_converted tickets with three converted friends."""
    from tests.core.contest_helpers import converted_friends

    contest = contest_setup.open_contest(
        make_contest(program, prizes=[{"label": "Bike", "quantity": 2}]), actor="t"
    )
    with time_machine.travel(contest.entries_start + timedelta(hours=1)):
        converted_friends(
            program, {"alice@example.com": 2, "bob@example.com": 1, "carol@example.com": 1}
        )
    return contest


def test_draw_before_the_draw_date_is_refused(api, open_contest_with_entries):
    contest = open_contest_with_entries
    with time_machine.travel(contest.draw_at - timedelta(seconds=1)):
        response = api.call("post", f"/contests/{contest.pk}/draw", {"public_value": "abc"}, **EN)
    assert response.status_code in (409, 422)
    assert_problem(response, response.status_code)
    assert Contest.objects.get().status == "open" and not ContestWinner.objects.exists()


def test_draw_twice_returns_the_first_result(api, open_contest_with_entries):
    contest = open_contest_with_entries
    with time_machine.travel(contest.draw_at + timedelta(minutes=1)):
        first = api.call("post", f"/contests/{contest.pk}/draw", {"public_value": "abc"})
        second = api.call("post", f"/contests/{contest.pk}/draw", {"public_value": "other"})

    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["winners"] == second.json()["winners"]
    assert second.json()["created"] is False
    drawn = second.json()["contest"]
    assert drawn["status"] == "drawn" and drawn["public_value"] == "abc"
    assert hashlib.sha256(drawn["server_seed"].encode()).hexdigest() == drawn["commitment"]
    assert len(first.json()["winners"]) == 2
    assert ContestWinner.objects.count() == 2


def test_entries_export_before_and_after_the_draw(api, open_contest_with_entries):
    contest = open_contest_with_entries
    with time_machine.travel(contest.entries_start + timedelta(hours=2)):
        preview = api.call("get", f"/contests/{contest.pk}/entries.csv")
    assert preview.status_code == 200 and preview["X-Parrain-Preview"] == "true"
    rows = list(csv.reader(io.StringIO(preview.content.decode())))
    assert rows[0] == ["entrant", "tickets"]
    assert sorted(int(t) for _e, t in rows[1:]) == [1, 1, 2]

    with time_machine.travel(contest.draw_at + timedelta(minutes=1)):
        api.call("post", f"/contests/{contest.pk}/draw", {"public_value": "abc"})
    frozen = api.call("get", f"/contests/{contest.pk}/entries.csv")
    stored = Contest.objects.get()
    assert frozen["X-Parrain-Preview"] == "false"
    assert hashlib.sha256(frozen.content).hexdigest() == stored.entries_hash
    assert frozen["Content-Type"].startswith("text/csv")


def test_winners_redraw_and_delivered(api, open_contest_with_entries):
    contest = open_contest_with_entries
    with time_machine.travel(contest.draw_at + timedelta(minutes=1)):
        api.call("post", f"/contests/{contest.pk}/draw", {"public_value": "abc"})
    winners = api.call("get", f"/contests/{contest.pk}/winners").json()["items"]
    assert len(winners) == 2

    delivered = api.call("post", f"/contests/{contest.pk}/winners/{winners[0]['id']}/delivered")
    assert delivered.status_code == 200 and delivered.json()["delivered_at"]

    redrawn = api.call(
        "post", f"/contests/{contest.pk}/winners/{winners[1]['id']}/redraw", {"reason": "no reply"}
    )
    assert redrawn.status_code == 201, redrawn.content
    new = redrawn.json()
    assert new["pick"] == 2 and new["prize"] == winners[1]["prize"]
    assert new["entrant"] not in {w["entrant"] for w in winners}
    again = api.call("post", f"/contests/{contest.pk}/winners/{winners[1]['id']}/redraw", **EN)
    assert_problem(again, 409)
    after = api.call("get", f"/contests/{contest.pk}/winners").json()["items"]
    assert [w["status"] for w in after][1] == "unclaimed" and len(after) == 3

    missing = api.call("post", f"/contests/{contest.pk}/winners/999999/redraw", {}, **EN)
    assert_problem(missing, 404)
    assert AuditEvent.objects.filter(action__startswith="contest.").exists()
