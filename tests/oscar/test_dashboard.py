"""The "Referral" section of Oscar's dashboard: permissions, figures, review queue, settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from oscar.test.factories import UserFactory

from parrain.core.factories import ProgramFactory
from parrain.core.models import Program, Referral, RefusedOrigin
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.transitions import move
from tests.program_editor import editor_post_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
BASE = "/shop/dashboard/referral/"
PAGES = ["", "referrals/", "review/", "contacts/", "program/"]


def form_values(*forms: Any) -> dict[str, Any]:
    """What a browser would post back for these forms, unchanged."""
    data: dict[str, Any] = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None and value is not False:
                data[field.html_name] = value
    return data


def signed_in(**user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(**user))
    return client


@pytest.fixture
def staff() -> Client:
    return signed_in(is_staff=True, is_superuser=True)


@pytest.mark.parametrize("page", PAGES)
def test_pages_refuse_anonymous_customers_and_staff_without_permission(
    program: Program, page: str
) -> None:
    ProgramFactory(slug="atelier-velo", name="Atelier Vélo")
    anonymous = Client().get(BASE + page)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == f"/shop/dashboard/login/?next={BASE}{page}"
    for client in (signed_in(), signed_in(is_staff=True)):
        response = client.get(BASE + page)
        assert response.status_code == 403
        assert "Atelier Vélo" not in response.content.decode()  # no program is shown


def test_staff_with_view_permission_sees_referrals_but_cannot_change_settings(
    referred_order: Any,
) -> None:
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_referral"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    referrals = client.get(BASE + "referrals/").content.decode()
    assert "bob@example.org" in referrals and "alice@example.com" in referrals
    settings_page = client.get(BASE + "program/")
    assert settings_page.status_code == 403
    assert 'name="validation_delay_days"' not in settings_page.content.decode()


def test_referral_section_is_in_the_dashboard_navigation(program: Program, staff: Client) -> None:
    page = staff.get("/shop/dashboard/").content.decode()
    assert "Referral" in page
    assert f'href="{BASE}review/"' in page


def test_figures_page_shows_the_shared_dashboard(referred_order: Any, staff: Client) -> None:
    response = staff.get(BASE)
    page = response.content.decode()
    cards = {card.key: card for card in response.context["cards"]}
    assert cards["converted_referees"].value == 1
    assert 'data-figure="converted_referees"' in page
    assert "<strong>€85</strong>" in page  # revenue, in the page language's money format
    assert page.count('<svg class="parrain-chart"') == 2
    assert "alice@example.com" in page  # top referrers
    assert "Invitation stage" in page and "Validation stage" in page


def test_figures_page_reports_a_bad_range_without_crashing(program: Program, staff: Client) -> None:
    response = staff.get(BASE, {"start": "2026-05-10", "end": "2026-05-01"})
    assert response.status_code == 200
    assert "must not be after" in response.content.decode()


def test_review_queue_approves_a_held_referral_through_the_core(
    referred_order: Any, staff: Client
) -> None:
    referral = referred_order.referral
    Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.REGISTERED)
    referral.refresh_from_db()
    move(referral, ReferralStatus.REVIEW, action="referral.held", reason="disposable_email")

    queue = staff.get(BASE + "review/").content.decode()
    assert "bob@example.org" in queue and "Disposable email address" in queue

    staff.post(BASE + f"referrals/{referral.pk}/review/", {"action": "approve"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CONVERTED
    assert "Nothing waits for review" in staff.get(BASE + "review/").content.decode()


def test_referral_list_filters_by_status_and_email(referred_order: Any, staff: Client) -> None:
    assert (
        "bob@example.org"
        in staff.get(BASE + "referrals/", {"status": "converted"}).content.decode()
    )
    assert (
        "bob@example.org"
        not in staff.get(BASE + "referrals/", {"status": "rewarded"}).content.decode()
    )
    assert "bob@example.org" not in staff.get(BASE + "referrals/", {"q": "nobody"}).content.decode()


def test_program_settings_save_and_bad_input_keeps_what_is_stored(
    program: Program, staff: Client
) -> None:
    page = staff.get(BASE + "program/")
    assert program.identity_secret[:10] not in page.content.decode()  # no secret shown here
    data = editor_post_data(page.context["form"])
    data.update(name="Boutique renommée", referee_value="20")

    saved = staff.post(BASE + "program/", data)
    assert saved.status_code == 302, saved.context["form"].errors
    assert "Program settings saved." in staff.get(saved["Location"]).content.decode()
    program.refresh_from_db()
    assert program.name == "Boutique renommée"
    assert program.rule("referee").value == Decimal("20")

    bad = {**data, "name": "Perdu", "referee_value": "-5"}
    response = staff.post(BASE + "program/", bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The settings were not saved: see the errors below." in page
    assert "greater than or equal to 0" in page
    program.refresh_from_db()
    assert program.name == "Boutique renommée"
    assert program.rule("referee").value == Decimal("20")


def test_dashboard_speaks_french(program: Program) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(BASE).content.decode()
    assert "Chiffres du parrainage" in page
    assert "Filleuls convertis" in page


def test_review_decisions_need_the_change_permission_and_a_known_action(
    referred_order: Any, staff: Client
) -> None:
    referral = referred_order.referral
    Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.REGISTERED)
    referral.refresh_from_db()
    move(referral, ReferralStatus.REVIEW, action="referral.held", reason="monthly_reward_cap")
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_referral"))
    client = Client()
    client.force_login(viewer)
    url = BASE + f"referrals/{referral.pk}/review/"

    assert client.post(url, {"action": "reject"}).status_code == 403
    unknown = staff.post(url, {"action": "delete"})
    assert unknown.status_code == 400
    assert unknown.content.decode() == "Unknown action: choose approve or reject."
    assert staff.get(url).status_code == 405
    assert staff.post(BASE + "referrals/999999/review/", {"action": "reject"}).status_code == 404
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REVIEW

    staff.post(url, {"action": "reject"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.cancel_reason == "rejected_in_review"
    referred_order.welcome.refresh_from_db()
    assert referred_order.welcome.status == "redeemed"  # already used: nothing to take back


def test_unknown_program_is_a_404_not_the_shop_figures(referred_order: Any, staff: Client) -> None:
    cards = {card.key: card for card in staff.get(BASE).context["cards"]}
    assert cards["converted_referees"].value == 1

    response = staff.get(BASE, {"program": "nope"})

    assert response.status_code == 404
    assert "data-figure" not in response.content.decode()


def test_program_page_lists_recent_widget_errors_and_warns_of_fresh_ones(
    program: Program, staff: Client
) -> None:
    # Given a page on an origin the program does not allow, refused three times today
    RefusedOrigin.objects.create(program=program, origin="http://localhost:8101", count=3)
    html = staff.get(BASE + "program/").content.decode()
    # Then the program's page lists it and says at the top what to do
    assert "Recent widget errors" in html and "http://localhost:8101" in html
    assert "this page origin is not allowed for this program" in html


def test_contacts_page_says_not_answered_for_a_consent_never_given(
    program: Program, staff: Client
) -> None:
    from parrain.core.factories import ContactFactory

    ContactFactory(program=program, email="asked@example.org", consent_recontact=True)
    ContactFactory(program=program, email="silent@example.org", consent_recontact=None)
    page = staff.get(BASE + "contacts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    silent_row = page.split("silent@example.org")[1].split("</tr>")[0]
    asked_row = page.split("asked@example.org")[1].split("</tr>")[0]
    assert "not answered" in silent_row and "maybe" not in silent_row
    assert "yes" in asked_row
