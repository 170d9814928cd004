"""The badges in Oscar's dashboard: list with holders, a badge's holders, holders over
time, and the manual award/revoke with a required reason."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from oscar.test.factories import UserFactory

from parrain.core.factories import ContactFactory
from parrain.core.models import AuditEvent, Badge, BadgeCondition, BadgeHolding, Program

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
BASE = "/shop/dashboard/referral/badges/"


def make_badge(program: Program, rank: int, en: str, fr: str, **fields: Any) -> Badge:
    badge = Badge.objects.create(program=program, rank=rank, names={"en": en, "fr": fr}, **fields)
    BadgeCondition.objects.create(badge=badge, kind="friends_converted", threshold=Decimal(rank))
    return badge


def hold(badge: Badge, email: str, **fields: Any) -> BadgeHolding:
    contact = ContactFactory(program=badge.program, email=email)
    return BadgeHolding.objects.create(badge=badge, contact=contact, **fields)


def signed_in(language: str = "en", **user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(UserFactory(**user))
    return client


@pytest.fixture
def staff() -> Client:
    return signed_in(is_staff=True, is_superuser=True)


@pytest.fixture
def bronze(program: Program) -> Badge:
    return make_badge(program, 1, "Bronze", "Bronze")


@pytest.fixture
def silver(program: Program) -> Badge:
    return make_badge(program, 2, "Silver", "Argent")


def test_badge_pages_refuse_anonymous_customers_and_staff_without_permission(
    bronze: Badge,
) -> None:
    pages = [BASE, f"{BASE}{bronze.pk}/"]
    for page in pages:
        anonymous = Client().get(page)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/shop/dashboard/login/")
    customer, plain_staff = signed_in(), signed_in(is_staff=True)
    for client in (customer, plain_staff):
        for page in pages:
            response = client.get(page)
            assert response.status_code == 403
            assert "Bronze" not in response.content.decode()
    contact = ContactFactory(program=bronze.program, email="zoe@example.com")
    for client in (Client(), customer, plain_staff):
        client.post(
            f"{BASE}{bronze.pk}/holders/",
            {"action": "award", "email": contact.email, "reason": "mine"},
        )
    assert not BadgeHolding.objects.exists()


def test_viewer_sees_the_holders_but_cannot_award(bronze: Badge) -> None:
    hold(bronze, "zoe@example.com")
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_badge", "view_badgeholding"])
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(viewer)
    assert "zoe@example.com" in client.get(f"{BASE}{bronze.pk}/").content.decode()
    response = client.post(
        f"{BASE}{bronze.pk}/holders/",
        {"action": "revoke", "email": "zoe@example.com", "reason": "test"},
    )
    assert response.status_code == 403
    assert BadgeHolding.objects.get().lost_at is None
    # no admin link for someone who cannot change badges
    assert "/admin/parrain/badge/" not in client.get(BASE).content.decode()


def test_list_shows_badges_by_rank_with_their_current_holders_and_the_chart(
    program: Program, bronze: Badge, silver: Badge, staff: Client
) -> None:
    hold(bronze, "zoe@example.com")
    hold(bronze, "max@example.com")
    hold(silver, "ana@example.com", lost_at=timezone.now())  # lost: not a holder any more

    page = staff.get(BASE).content.decode()

    assert page.index("Bronze") < page.index("Silver")
    assert f'data-holders="{bronze.pk}">2<' in page
    assert f'data-holders="{silver.pk}">0<' in page
    assert f'data-holders-end="{bronze.pk}">2<' in page  # the chart's figures, as text
    assert page.count("<svg") == 1
    assert (
        'href="/shop/dashboard/referral/badges/"' in staff.get("/shop/dashboard/").content.decode()
    )


def test_list_links_to_the_django_admin_for_creating_badges_when_it_has_them(
    bronze: Badge, staff: Client
) -> None:
    try:
        changelist = reverse("admin:parrain_badge_changelist")
    except NoReverseMatch:  # badges not in this install's Django admin: no dead link
        changelist = ""
    page = staff.get(BASE).content.decode()
    assert ('id="parrain-badges-admin"' in page) is bool(changelist)
    if changelist:
        assert f'href="{changelist}"' in page


def test_holders_over_time_follows_the_chosen_range(bronze: Badge, staff: Client) -> None:
    hold(bronze, "zoe@example.com", awarded_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate()
    before = staff.get(BASE, {"end": str(today - timedelta(days=20))}).content.decode()
    assert f'data-holders-end="{bronze.pk}">0<' in before
    bad = staff.get(BASE, {"start": str(today), "end": str(today - timedelta(days=1))})
    assert bad.status_code == 200
    assert "must not be after" in bad.content.decode()


def test_badge_page_lists_its_holders_page_by_page(bronze: Badge, staff: Client) -> None:
    now = timezone.now()
    for n in range(26):
        hold(bronze, f"holder{n:02d}@example.com", awarded_at=now - timedelta(minutes=n))

    first = staff.get(f"{BASE}{bronze.pk}/").content.decode()
    assert "26 holders" in first
    assert "holder00@example.com" in first and "holder24@example.com" in first
    assert "holder25@example.com" not in first
    second = staff.get(f"{BASE}{bronze.pk}/", {"page": 2}).content.decode()
    assert "holder25@example.com" in second and "holder00@example.com" not in second
    assert "Friends converted ≥ 1" in first  # the conditions, in words


def test_award_without_a_reason_is_refused_and_changes_nothing(
    bronze: Badge, staff: Client
) -> None:
    ContactFactory(program=bronze.program, email="zoe@example.com")

    response = staff.post(
        f"{BASE}{bronze.pk}/holders/",
        {"action": "award", "email": "zoe@example.com", "reason": " "},
    )

    assert response.status_code == 400
    assert "Say why: the reason is kept in the audit log." in response.content.decode()
    assert not BadgeHolding.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="badge.").exists()


def test_award_to_an_unknown_or_erased_contact_or_twice_is_a_form_error(
    program: Program, bronze: Badge, staff: Client
) -> None:
    url = f"{BASE}{bronze.pk}/holders/"
    other = ContactFactory(email="elsewhere@example.com")  # another program's contact
    for email in ("nobody@example.com", other.email):
        response = staff.post(url, {"action": "award", "email": email, "reason": "gift"})
        assert response.status_code == 400
        assert "No contact with this email in this program." in response.content.decode()
    hold(bronze, "zoe@example.com", reason="first")
    twice = staff.post(url, {"action": "award", "email": "zoe@example.com", "reason": "again"})
    assert twice.status_code == 400
    assert "This contact already holds this badge." in twice.content.decode()
    not_held = staff.post(url, {"action": "revoke", "email": "nobody@example.com", "reason": "x"})
    assert not_held.status_code == 400
    assert BadgeHolding.objects.get().reason == "first"


def test_manual_award_then_revoke_go_through_the_service_and_are_audited(
    program: Program, bronze: Badge, staff: Client
) -> None:
    zoe = ContactFactory(program=program, email="zoe@example.com")
    url = f"{BASE}{bronze.pk}/holders/"

    awarded = staff.post(
        url, {"action": "award", "email": "ZOE@example.com", "reason": "Salon 2026"}, follow=True
    )

    holding = BadgeHolding.objects.get(badge=bronze, contact=zoe, lost_at=None)
    assert holding.reason == "Salon 2026"
    assert holding.awarded_by.startswith("oscar-dashboard:")
    assert "Bronze awarded to zoe@example.com." in awarded.content.decode()
    assert AuditEvent.objects.filter(action="badge.awarded", contact=zoe).count() == 1

    revoke_link = "?action=revoke&amp;email=zoe%40example.com"
    assert revoke_link in awarded.content.decode()
    staff.post(url, {"action": "revoke", "email": zoe.email, "reason": "Erreur de saisie"})
    holding.refresh_from_db()
    assert holding.lost_at is not None
    assert AuditEvent.objects.filter(action="badge.lost", contact=zoe).count() == 1
    assert (
        "zoe@example.com"
        not in staff.get(f"{BASE}{bronze.pk}/")
        .content.decode()
        .split('id="parrain-badge-holders"')[1]
    )


def test_unknown_badge_is_a_404(program: Program, staff: Client) -> None:
    assert staff.get(f"{BASE}999999/").status_code == 404
    assert staff.post(f"{BASE}999999/holders/", {"action": "award"}).status_code == 404


def test_badge_page_speaks_french(silver: Badge) -> None:
    page = signed_in("fr", is_staff=True, is_superuser=True).get(f"{BASE}{silver.pk}/")
    assert "<h1>Argent" in page.content.decode()
