"""The draw run from the Wagtail admin, and what the landing page's contest block shows
after it: winners as first name + initial, and the verification link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import TestCase, override_settings
from django.urls import reverse
from wagtail.models import Locale
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import AuditEvent, ContestEntry, ContestWinner
from parrain.core.models.contest import ContestStatus, WinnerStatus
from parrain.plugins.wagtail.blocks import ContestBlock
from tests.core.contest_helpers import converted_friends, make_contest

from .helpers import SITE_ROOT_URL, make_program

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
START = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def url(name: str, *args: int) -> str:
    return reverse(f"wagtailsnippets_parrain_contest:{name}", args=args)


class Page:
    def __init__(self, program) -> None:  # type: ignore[no-untyped-def]
        self.program = program
        self.locale = Locale(language_code="en")


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class ContestDrawTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        from parrain.core.services import contest_setup

        self.program = make_program()
        self.owner = self.create_superuser("owner", email="owner@example.com")
        self.client.force_login(self.owner)
        with time_machine.travel(START - timedelta(days=1), tick=False):
            self.contest = contest_setup.open_contest(
                make_contest(self.program, start=START, prizes=[{"label": "Bike", "quantity": 1}]),
                actor="tests",
            )
        with time_machine.travel(START + timedelta(days=2), tick=False):
            converted_friends(
                self.program,
                {"alice@example.com": 3, "bruno@example.com": 1},
                **{"alice@example.com": "Alice", "bruno@example.com": "Bruno"},
            )

    def draw(self, value: str = "drand-5000000-abc") -> object:
        self.client.force_login(self.owner)  # the session of setUp expired in the meantime
        return self.client.post(
            url("draw", self.contest.pk), {"public_value": value, "confirmed": "True"}, **EN
        )

    def test_draw_before_the_draw_date_is_refused_and_nothing_is_frozen(self) -> None:
        with time_machine.travel(START + timedelta(days=5), tick=False):
            response = self.draw()

        self.assertGreaterEqual(response.status_code, 400)
        self.assertLess(response.status_code, 500)
        self.contest.refresh_from_db()
        self.assertEqual(self.contest.status, ContestStatus.OPEN)
        self.assertFalse(ContestEntry.objects.exists())

    def test_confirmed_draw_picks_the_winner_and_shows_it_with_the_published_data(self) -> None:
        with time_machine.travel(START + timedelta(days=12), tick=False):
            response = self.draw()
            page = self.client.get(url("inspect", self.contest.pk), **EN)
            again = self.draw("another value")

        self.assertRedirects(
            response, url("inspect", self.contest.pk), fetch_redirect_response=False
        )
        self.contest.refresh_from_db()
        self.assertEqual(self.contest.status, ContestStatus.DRAWN)
        self.assertEqual(self.contest.public_value, "drand-5000000-abc")
        winner = ContestWinner.objects.get()
        self.assertIn(winner.entry.contact.email, ("alice@example.com", "bruno@example.com"))
        self.assertContains(page, self.contest.entries_hash)
        self.assertContains(page, self.contest.server_seed)
        self.assertContains(page, "Unclaimed: redraw")
        self.assertContains(page, f"{winner.entry.contact.first_name} M.")
        # drawing twice keeps the first result
        self.assertEqual(again.status_code, 302)
        self.contest.refresh_from_db()
        self.assertEqual(self.contest.public_value, "drand-5000000-abc")
        self.assertEqual(ContestWinner.objects.count(), 1)

    def test_redraw_gives_the_prize_to_the_next_pick_and_the_block_shows_the_new_winner(
        self,
    ) -> None:
        with time_machine.travel(START + timedelta(days=12), tick=False):
            self.draw()
            first = ContestWinner.objects.get()
            self.client.post(
                url("redraw", self.contest.pk, first.pk), {"reason": "no answer"}, **EN
            )

        first.refresh_from_db()
        self.assertEqual(first.status, WinnerStatus.UNCLAIMED)
        second = ContestWinner.objects.exclude(pk=first.pk).get()
        self.assertNotEqual(second.entry_id, first.entry_id)
        self.assertTrue(AuditEvent.objects.filter(action__startswith="contest.redraw").exists())

        block = ContestBlock()
        html = block.render(
            block.to_python({"contest": self.contest.pk}), context={"page": Page(self.program)}
        )
        name = f"{second.entry.contact.first_name} M."
        self.assertIn(f"Bike: <strong>{name}</strong>", html)
        self.assertNotIn(f"<strong>{first.entry.contact.first_name} M.</strong>", html)
        self.assertNotIn("@example.com", html)  # first name and initial only
        self.assertIn("seed, public value, entries file and verifier", html)
        self.assertIn(f"/contest/{self.contest.public_id}/", html)
        self.assertNotIn("data-parrain-ends-at", html)  # no countdown once drawn
