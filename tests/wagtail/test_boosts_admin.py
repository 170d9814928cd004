"""Boosted offers in the Wagtail admin's Referral menu: create, refuse, edit, delete, figures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import time_machine
from django.test import TestCase, override_settings
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import AuditEvent, Boost
from tests.core.boost_helpers import make_boost, paris

from .helpers import SITE_ROOT_URL, make_program

ADD = reverse("wagtailsnippets_parrain_boost:add")
LIST = reverse("wagtailsnippets_parrain_boost:list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def started_boost(program, start, end, **extra):  # type: ignore[no-untyped-def]
    """A boost set up before it started (the service refuses a start in the past)."""
    with time_machine.travel(datetime(2026, 11, 1, tzinfo=UTC), tick=False):
        return make_boost(program, start, end, **extra)


def url(name: str, *args: int) -> str:
    return reverse(f"wagtailsnippets_parrain_boost:{name}", args=args)


def form(**extra: str) -> dict[str, str]:
    return {
        "name": "Double week",
        "label_fr": "Récompense doublée",
        "label_en": "Double reward until Sunday",
        "starts_at": "2026-12-05T00:00",
        "ends_at": "2026-12-07T23:59",
        "referrer_kind": "fixed_amount",
        "referrer_value": "20",
        "referrer_validity_days": "90",
        "welcome_kind": "",
        "contest": "",
        **extra,
    }


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
@time_machine.travel(NOW, tick=False)
class BoostAdminTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.owner = self.create_superuser("owner", email="owner@example.com")
        self.client.force_login(self.owner)

    def test_referral_menu_lists_boosts_with_their_state(self) -> None:
        started_boost(self.program, paris(2026, 12, 1), paris(2026, 12, 4), name="Running one")
        make_boost(self.program, paris(2026, 12, 10), paris(2026, 12, 12), name="Later one")
        self.assertContains(self.client.get(reverse("wagtailadmin_home"), **EN), "Boosted offers")
        response = self.client.get(LIST, **EN)
        self.assertContains(response, "Running one")
        self.assertContains(response, "Running")
        self.assertContains(response, "Scheduled")
        # Dates as the owner set them, in the program's zone (Paris), not "in 6 days".
        self.assertContains(response, "12/10/2026 midnight")
        self.assertNotContains(response, "ago")

    def test_shop_owner_creates_a_boost_read_in_the_program_time_zone(self) -> None:
        page = self.client.get(ADD, **EN)
        self.assertContains(page, 'name="label_en"')
        self.assertContains(page, "Europe/Paris")

        response = self.client.post(ADD, form(), **EN)

        boost = Boost.objects.get()
        self.assertRedirects(response, url("inspect", boost.pk), fetch_redirect_response=False)
        self.assertEqual(boost.starts_at, paris(2026, 12, 5))
        self.assertEqual(boost.labels["en"], "Double reward until Sunday")
        self.assertEqual(boost.referrer_rule.value, Decimal("20"))
        self.assertTrue(
            AuditEvent.objects.filter(
                action="boost.created", actor=f"wagtail:{self.owner.pk}"
            ).exists()
        )

    def test_an_overlapping_boost_is_refused_naming_the_other_one(self) -> None:
        make_boost(self.program, paris(2026, 12, 6), paris(2026, 12, 9), name="Black week")

        response = self.client.post(ADD, form(), **EN)

        self.assertContains(response, "Black week", status_code=400)
        self.assertContains(response, "Nothing was saved", status_code=400)
        self.assertEqual(Boost.objects.count(), 1)

    def test_a_boost_ending_before_it_starts_is_refused_and_nothing_is_stored(self) -> None:
        response = self.client.post(ADD, form(ends_at="2026-12-04T00:00"), **EN)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Boost.objects.exists())

    def test_a_started_boost_may_move_its_end_but_keeps_its_reward(self) -> None:
        boost = started_boost(self.program, paris(2026, 12, 1), paris(2026, 12, 6))

        page = self.client.get(url("edit", boost.pk), **EN)
        self.assertContains(page, "invitations already carry this reward")
        self.client.post(
            url("edit", boost.pk),
            form(referrer_value="99", ends_at="2026-12-08T00:00"),
            **EN,
        )

        boost.refresh_from_db()
        self.assertEqual(boost.ends_at, paris(2026, 12, 8))
        self.assertEqual(boost.referrer_rule.value, Decimal("20"))

    def test_only_a_boost_that_has_not_started_can_be_deleted(self) -> None:
        running = started_boost(self.program, paris(2026, 12, 1), paris(2026, 12, 4), name="Now")
        later = make_boost(self.program, paris(2026, 12, 10), paris(2026, 12, 12), name="Later")

        self.client.post(url("delete", later.pk), **EN)
        response = self.client.post(url("delete", running.pk), **EN, follow=True)

        self.assertFalse(Boost.objects.filter(pk=later.pk).exists())
        self.assertTrue(Boost.objects.filter(pk=running.pk).exists())
        self.assertContains(response, "cannot be deleted")

    def test_a_boost_page_compares_its_window_with_the_one_before(self) -> None:
        boost = started_boost(self.program, paris(2026, 12, 1), paris(2026, 12, 4))
        figures = {
            "boost": {
                "invitations": 40,
                "conversions": 10,
                "conversion_rate": Decimal("0.25"),
                "referred_revenue": Decimal("1200.50"),
            },
            "before": {
                "invitations": 20,
                "conversions": 3,
                "conversion_rate": Decimal("0.15"),
                "referred_revenue": Decimal("300"),
            },
            "window": (boost.starts_at, NOW),
            "before_window": (paris(2026, 11, 28, 12), boost.starts_at),
        }
        with mock.patch("parrain.core.services.boosts.comparison", return_value=figures):
            response = self.client.get(url("inspect", boost.pk), **EN)

        self.assertContains(response, "Performance against the same length of time before it")
        self.assertContains(response, "<td>25.0 %</td>", html=True)
        self.assertContains(response, "<td>15.0 %</td>", html=True)
        self.assertContains(response, "1200.50 EUR")
        self.assertContains(response, "its figures count up to now")
