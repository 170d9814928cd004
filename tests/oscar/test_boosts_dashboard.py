"""Boosted offers in Oscar's dashboard: running / scheduled / ended, the core's form (with
its refusals beside the fields), deletion before the start only, and the boost's figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oscar.test.factories import UserFactory

from parrain.core.models import AuditEvent, Boost, Program
from tests.core.boost_helpers import make_boost

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
BASE = "/shop/dashboard/referral/boosts/"


def signed_in(language: str = "en", **user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(UserFactory(**user))
    return client


@pytest.fixture
def staff() -> Client:
    return signed_in(is_staff=True, is_superuser=True)


def local(moment: datetime, program: Program) -> str:
    """What a ``datetime-local`` input sends, in the program's time zone."""
    return timezone.localtime(moment, program.tz()).strftime("%Y-%m-%dT%H:%M")


def hour(hours: float = 0) -> datetime:
    return (timezone.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def boost_at(program: Program, start: datetime, end: datetime, **extra: Any) -> Boost:
    """A boost made when it was still to come (the service refuses starts in the past)."""
    with time_machine.travel(start - timedelta(hours=1)):
        return make_boost(program, start, end, **extra)


def form_data(program: Program, start: datetime, end: datetime, **extra: str) -> dict[str, str]:
    return {
        "name": "Black Friday",
        "label_fr": "Récompense doublée jusqu'à lundi",
        "label_en": "Double reward until Monday",
        "starts_at": local(start, program),
        "ends_at": local(end, program),
        "referrer_kind": "fixed_amount",
        "referrer_value": "20",
        "referrer_validity_days": "90",
        "welcome_kind": "",
        **extra,
    }


def test_boost_pages_are_for_staff_with_the_boost_permissions(program: Program) -> None:
    boost = make_boost(program, hour(24), hour(48))
    pages = [BASE, f"{BASE}{boost.pk}/", f"{BASE}new/", f"{BASE}{boost.pk}/delete/"]
    for page in pages:
        anonymous = Client().get(page)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/shop/dashboard/login/")
    for client in (signed_in(), signed_in(is_staff=True)):
        for page in pages:
            response = client.get(page)
            assert response.status_code == 403
            assert "Double week" not in response.content.decode()
        client.post(f"{BASE}new/", form_data(program, hour(72), hour(96)))
        client.post(f"{BASE}{boost.pk}/delete/")
    assert list(Boost.objects.values_list("name", flat=True)) == ["Double week"]


def test_list_separates_running_scheduled_and_ended_boosts(program: Program, staff: Client) -> None:
    boost_at(program, hour(-72), hour(-48), name="Last week")
    boost_at(program, hour(-2), hour(24), name="This weekend")
    make_boost(program, hour(48), hour(72), name="Next week")

    page = staff.get(BASE).content.decode()

    running = page.split('id="parrain-boosts-running"')[1].split("</table>")[0]
    scheduled = page.split('id="parrain-boosts-scheduled"')[1].split("</table>")[0]
    ended = page.split('id="parrain-boosts-ended"')[1].split("</table>")[0]
    assert "This weekend" in running and "Double reward until Sunday" in running
    assert "Next week" in scheduled and "Delete" in scheduled
    assert "Last week" in ended and "Delete" not in ended
    assert "€20 off" in running  # the boosted reward, in words
    nav = staff.get("/shop/dashboard/").content.decode()
    assert 'href="/shop/dashboard/referral/boosts/"' in nav


def test_create_through_the_core_form(program: Program, staff: Client) -> None:
    form_page = staff.get(f"{BASE}new/", {"program": program.slug}).content.decode()
    assert 'name="referrer_kind"' in form_page and 'type="datetime-local"' in form_page

    response = staff.post(
        f"{BASE}new/?program={program.slug}", form_data(program, hour(24), hour(72)), follow=True
    )

    boost = Boost.objects.get()
    assert response.redirect_chain[-1][0] == f"{BASE}{boost.pk}/"
    page = response.content.decode()
    assert "Boosted offer “Black Friday” saved." in page
    assert "Double reward until Monday" in page
    assert "The figures appear once the boost has started." in page
    assert boost.starts_at == hour(24) and boost.referrer_rule.value == Decimal("20")
    assert AuditEvent.objects.filter(action="boost.created").count() == 1


def test_overlapping_boost_is_refused_beside_the_dates_naming_the_other(
    program: Program, staff: Client
) -> None:
    make_boost(program, hour(24), hour(72), name="Double week")

    response = staff.post(
        f"{BASE}new/?program={program.slug}", form_data(program, hour(48), hour(96))
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "The boosted offer was not saved: see the errors below." in page
    assert "This period overlaps the boost “Double week”" in page
    assert Boost.objects.count() == 1
    assert AuditEvent.objects.filter(action="boost.created").count() == 1


def test_boost_ending_before_it_starts_is_a_form_error(program: Program, staff: Client) -> None:
    response = staff.post(
        f"{BASE}new/?program={program.slug}", form_data(program, hour(72), hour(24))
    )
    assert response.status_code == 400
    assert 'class="error-block"' in response.content.decode()
    assert not Boost.objects.exists()


def test_a_started_boost_only_changes_its_end(program: Program, staff: Client) -> None:
    boost = boost_at(program, hour(-2), hour(24))
    url = f"{BASE}{boost.pk}/edit/"
    page = staff.get(url).content.decode()
    assert "This boost has started" in page

    data = form_data(program, hour(-2), hour(48), referrer_value="99", name="Renamed")
    response = staff.post(url, data)

    assert response.status_code == 302
    boost.refresh_from_db()
    assert boost.ends_at == hour(48)
    assert boost.name == "Double week" and boost.referrer_rule.value == Decimal("20")


def test_delete_asks_first_and_only_before_the_start(program: Program, staff: Client) -> None:
    later = make_boost(program, hour(24), hour(48), name="Later")
    running = boost_at(program, hour(-2), hour(12), name="Running")

    confirm = staff.get(f"{BASE}{later.pk}/delete/").content.decode()
    assert "Delete “Later”?" in confirm
    assert Boost.objects.filter(pk=later.pk).exists()
    staff.post(f"{BASE}{later.pk}/delete/")
    assert not Boost.objects.filter(pk=later.pk).exists()

    started = staff.get(f"{BASE}{running.pk}/delete/").content.decode()
    assert "it can no longer be deleted" in started
    refused = staff.post(f"{BASE}{running.pk}/delete/")
    assert refused.status_code == 409
    assert "cannot be deleted" in refused.content.decode()
    assert Boost.objects.filter(pk=running.pk).exists()


def test_boost_pages_speak_french(program: Program) -> None:
    boost = make_boost(program, hour(24), hour(48))
    page = signed_in("fr", is_staff=True, is_superuser=True).get(f"{BASE}{boost.pk}/")
    assert page.status_code == 200
    assert "Récompense doublée" in page.content.decode()


def test_unknown_boost_is_a_404(program: Program, staff: Client) -> None:
    assert staff.get(f"{BASE}999999/").status_code == 404
    assert staff.post(f"{BASE}999999/delete/").status_code == 404


def test_boost_page_compares_its_window_with_the_same_length_before(
    program: Program, staff: Client, monkeypatch: Any
) -> None:
    boost = boost_at(program, hour(-48), hour(-24))
    before = (boost.starts_at - timedelta(days=1), boost.starts_at)
    figures = {
        "boost": {
            "invitations": 30,
            "conversions": 6,
            "conversion_rate": Decimal("0.2"),
            "referred_revenue": Decimal("540.00"),
        },
        "before": {
            "invitations": 20,
            "conversions": 2,
            "conversion_rate": Decimal("0.1"),
            "referred_revenue": Decimal("180.00"),
        },
        "window": (boost.starts_at, boost.ends_at),
        "before_window": before,
    }
    # the core's figures (boosts.comparison), as its contract documents them
    monkeypatch.setattr(
        "parrain.core.services.boosts.comparison", lambda asked: figures if asked == boost else {}
    )

    page = staff.get(f"{BASE}{boost.pk}/").content.decode()

    table = page.split('id="parrain-boost-comparison"')[1].split("</table>")[0]

    def row(name: str) -> str:
        return table.split(f'data-figure="{name}"')[1].split("</tr>")[0]

    assert "<td data-before>20</td><td data-boost>30</td><td>+50 %</td>" in row("invitations")
    assert "<td data-before>10.0 %</td><td data-boost>20.0 %</td>" in row("conversion_rate")
    assert "540.00 EUR" in row("referred_revenue") and "+200 %" in row("referred_revenue")
    assert "Before the boost" in table and "During the boost" in table
