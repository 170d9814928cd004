"""Badges in the Django admin: readable forms that go through the setup service, the image
upload, the holders, the recompute progress, manual decisions and the holders chart."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from parrain.core.factories import ContactFactory, ProgramFactory, RewardRuleFactory
from parrain.core.models import AuditEvent, Badge, BadgeCondition, BadgeHolding, BadgeRecompute
from parrain.core.models.choices import Side
from parrain.core.services import badge_setup

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_URL = "/media/"


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


def _png(size=(512, 512)) -> SimpleUploadedFile:
    out = BytesIO()
    Image.new("RGBA", size, (10, 20, 30, 200)).save(out, format="PNG")
    return SimpleUploadedFile("gold.png", out.getvalue(), content_type="image/png")


def _form(program, badge=None, conditions=(), **extra):
    """The POST of the badge page: one text input per language, the conditions inline."""
    data = {
        "program": program.pk,
        "rank": 1,
        "name_fr": "Or",
        "name_en": "Gold",
        "description_fr": "",
        "description_en": "",
        "colour": "#c08a2d",
        "match": "all",
        "keep_once_earned": "on",
        "is_active": "on",
        "reward_rule": "",
        "conditions-TOTAL_FORMS": len(conditions),
        "conditions-INITIAL_FORMS": len(badge.conditions.all()) if badge else 0,
        "conditions-MIN_NUM_FORMS": 0,
        "conditions-MAX_NUM_FORMS": 1000,
    }
    for index, condition in enumerate(conditions):
        for key, value in condition.items():
            data[f"conditions-{index}-{key}"] = value
        if badge is not None:
            data[f"conditions-{index}-badge"] = badge.pk
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def _condition(**values):
    return {
        "kind": "friends_converted",
        "threshold": "3",
        "period_days": "",
        "action_kind": "",
        "custom_kind": "",
        "required_badge": "",
        **values,
    }


def _snapshot(program):
    return [
        (
            b.names,
            b.image.name,
            list(b.conditions.values_list("kind", "threshold", "required_badge")),
        )
        for b in Badge.objects.filter(program=program).order_by("pk")
    ]


def test_the_add_page_has_one_name_input_per_language_and_the_conditions_inline(admin_client):
    ProgramFactory(languages=["fr", "en"])
    page = admin_client.get(reverse("admin:parrain_badge_add"), **EN)
    assertContains(page, 'name="name_fr"')
    assertContains(page, 'name="name_en"')
    assertContains(page, 'name="conditions-0-kind"')
    assertContains(page, "PNG, JPEG or WebP, at most 1 MB")
    assertNotContains(page, 'name="names"')  # no JSON to type


def test_a_badge_created_in_the_admin_goes_through_the_service(admin_client, admin_user, program):
    data = _form(program, conditions=[_condition()], image_upload=_png())

    response = admin_client.post(reverse("admin:parrain_badge_add"), data, **EN)

    assert response.status_code == 302, response.context and response.context["errors"]
    badge = Badge.objects.get()
    assert badge.names == {"fr": "Or", "en": "Gold"}
    assert list(badge.conditions.values_list("kind", "threshold")) == [("friends_converted", 3)]
    with Image.open(badge.image.path) as thumb:
        assert thumb.size == (256, 256)
    event = AuditEvent.objects.get(action="badge.created")
    assert event.actor == admin_user.get_username()
    assert BadgeRecompute.objects.filter(program=program).exists()


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (_condition(threshold="0"), "greater than or equal to 0.01"),
        (_condition(kind="action_count"), "Choose which loyalty action to count"),
        (_condition(kind="action_count", action_kind="custom"), "Name the custom action"),
        (_condition(kind="holds_badge", threshold=""), "prerequisite"),
    ],
)
def test_a_bad_condition_is_shown_and_nothing_is_stored(admin_client, program, condition, message):
    response = admin_client.post(
        reverse("admin:parrain_badge_add"), _form(program, conditions=[condition]), **EN
    )
    assertContains(response, message)
    assert not Badge.objects.exists()


def test_the_default_language_name_is_required(admin_client, program):
    response = admin_client.post(
        reverse("admin:parrain_badge_add"), _form(program, name_fr=""), **EN
    )
    assertContains(response, "default language")
    assert not Badge.objects.exists()


def test_circular_prerequisites_are_refused_on_the_change_page(admin_client, program):
    a = badge_setup.create_badge(program, names={"fr": "A"}, actor="t")
    b = badge_setup.create_badge(
        program,
        names={"fr": "B"},
        conditions=[{"kind": "holds_badge", "required_badge": a}],
        actor="t",
    )
    before = _snapshot(program)

    data = _form(
        program, a, [_condition(kind="holds_badge", threshold="", required_badge=b.pk)], name_fr="A"
    )
    response = admin_client.post(reverse("admin:parrain_badge_change", args=[a.pk]), data, **EN)

    assertContains(response, "go round in a circle")
    assert _snapshot(program) == before


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            "SVG images are not accepted",
        ),
        (SimpleUploadedFile("x.png", b"just text"), "not a PNG, JPEG or WebP"),
        (SimpleUploadedFile("x.png", b"\x89PNG" + b"0" * (1024 * 1024)), "larger than 1 MB"),
    ],
)
def test_a_refused_image_keeps_the_previous_one(admin_client, program, upload, message):
    badge = badge_setup.create_badge(program, names={"fr": "Or"}, actor="t")
    badge = badge_setup.set_image(badge, _png(), actor="t")
    before = _snapshot(program)

    data = _form(program, badge, image_upload=upload, name_en="Changed")
    response = admin_client.post(reverse("admin:parrain_badge_change", args=[badge.pk]), data, **EN)

    assertContains(response, message)
    assert _snapshot(program) == before


def test_the_reward_select_offers_the_program_s_referrer_rules_only(admin_client, program):
    badge = badge_setup.create_badge(program, names={"fr": "Or"}, actor="t")
    mine = RewardRuleFactory(program=program, side=Side.REFERRER, value=15)
    RewardRuleFactory(program=program, side=Side.REFEREE, value=7)
    RewardRuleFactory(program=ProgramFactory(), side=Side.REFERRER, value=99)

    page = admin_client.get(reverse("admin:parrain_badge_change", args=[badge.pk]), **EN)

    options = page.context["adminform"].form.fields["reward_rule"].queryset
    assert mine in options
    assert {(r.program_id, r.side) for r in options} == {(program.pk, Side.REFERRER)}


def test_the_list_and_the_page_show_holders_image_progress_and_chart(admin_client, program):
    badge = badge_setup.create_badge(
        program,
        names={"fr": "Or"},
        conditions=[{"kind": "invitations_sent", "threshold": 1}],
        actor="t",
    )
    badge_setup.set_image(badge, _png(), actor="t")
    for n in range(3):
        BadgeHolding.objects.create(
            badge=badge, contact=ContactFactory(program=program, email=f"h{n}@example.com")
        )

    listing = admin_client.get(reverse("admin:parrain_badge_changelist"), **EN)
    assertContains(listing, "Holders per badge over time")
    assertContains(listing, "<polyline")
    assertContains(listing, f'?badge__id__exact={badge.pk}&amp;held=yes">3</a>', html=False)
    assertContains(listing, 'loading="lazy"')

    page = admin_client.get(reverse("admin:parrain_badge_change", args=[badge.pk]), **EN)
    assertContains(page, "<progress")
    assertContains(page, "Queued")
    assertContains(page, "Give or take back by hand")

    holders = admin_client.get(
        reverse("admin:parrain_badgeholding_changelist") + f"?badge__id__exact={badge.pk}&held=yes",
        **EN,
    )
    assertContains(holders, "h2@example.com")


def test_a_manual_award_needs_a_reason_and_goes_through_the_service(
    admin_client, admin_user, program
):
    badge = badge_setup.create_badge(program, names={"fr": "Or"}, actor="t")
    eve = ContactFactory(program=program, email="eve@example.com")
    url = reverse("admin:parrain_badge_decide", args=[badge.pk])

    refused = admin_client.post(url, {"email": eve.email, "decision": "award", "reason": ""}, **EN)
    assertContains(refused, "This field is required")
    unknown = admin_client.post(
        url, {"email": "x@example.com", "decision": "award", "reason": "r"}, **EN
    )
    assertContains(unknown, "No contact with this email")
    assert not BadgeHolding.objects.exists()

    given = admin_client.post(
        url, {"email": eve.email, "decision": "award", "reason": "fair"}, **EN
    )
    assert given.status_code == 302
    holding = BadgeHolding.objects.get()
    assert (holding.awarded_by, holding.reason) == (admin_user.get_username(), "fair")

    admin_client.post(url, {"email": eve.email, "decision": "revoke", "reason": "oops"}, **EN)
    holding.refresh_from_db()
    assert holding.lost_at is not None and holding.lost_by == admin_user.get_username()


def test_a_badge_required_by_another_is_not_deleted(admin_client, program):
    a = badge_setup.create_badge(program, names={"fr": "A"}, actor="t")
    badge_setup.create_badge(
        program,
        names={"fr": "B"},
        conditions=[{"kind": "holds_badge", "required_badge": a}],
        actor="t",
    )
    response = admin_client.post(
        reverse("admin:parrain_badge_delete", args=[a.pk]), {"post": "yes"}, follow=True, **EN
    )
    assertContains(response, "is a condition of B")
    assert Badge.objects.filter(pk=a.pk).exists()
    assert BadgeCondition.objects.filter(required_badge=a).exists()
