"""The contest block of a landing page: what a visitor reads before and after the draw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

from parrain.plugins.wagtail.blocks import ContestBlock, LandingPageBlocks
from tests.core.contest_helpers import make_contest

from .helpers import make_program
from .helpers import opened_contest as open_contest
from .test_blocks import FakePage

pytestmark = pytest.mark.django_db
START = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def render(contest, language: str = "en") -> str:  # type: ignore[no-untyped-def]
    block = ContestBlock()
    value = block.to_python({"contest": contest.pk})
    return block.render(value, context={"page": FakePage(contest.program, language)})


def test_landing_page_offers_the_contest_block() -> None:
    assert "contest" in LandingPageBlocks().child_blocks


@override_settings(PARRAIN_BASE_URL="https://shop.example")
def test_open_contest_shows_what_a_visitor_needs_to_take_part() -> None:
    program = make_program()
    with time_machine.travel(START - timedelta(days=1), tick=False):
        contest = open_contest(program, start=START, ticket_cap=5)
    with time_machine.travel(START + timedelta(days=2), tick=False):
        html = render(contest)

    assert "<h2>Summer prize draw</h2>" in html
    assert "Entries from Dec. 10, 2026, 10 a.m. to Dec. 20, 2026, 10 a.m." in html  # Paris
    assert "Draw on Dec. 21, 2026, 10 a.m." in html
    assert 'data-parrain-ends-at="2026-12-20T10:00:00+01:00"' in html
    assert "Entries close in" in html and "1\xa0week, 1\xa0day" in html
    assert "parrain/countdown.js" in html
    assert "Weekend for two" in html and "Voucher × 2" in html
    assert "One ticket per friend who became a customer" in html
    assert "At most 5 tickets per person." in html
    assert "Rules: one ticket." in html
    assert f'href="https://shop.example/contest/{contest.public_id}/"' in html
    assert "Winners" not in html


def test_contest_block_speaks_the_page_language() -> None:
    program = make_program()
    with time_machine.travel(START - timedelta(days=1), tick=False):
        contest = open_contest(program, start=START)
    with time_machine.travel(START, tick=False):
        html = render(contest, "fr")
    assert "Grand tirage d&#x27;été" in html
    assert "Règlement : un ticket par ami." in html


def test_after_the_entries_the_countdown_is_to_the_draw() -> None:
    program = make_program()
    with time_machine.travel(START - timedelta(days=1), tick=False):
        contest = open_contest(program, start=START)
    with time_machine.travel(START + timedelta(days=10, hours=1), tick=False):
        html = render(contest)
    assert "Draw in" in html and 'data-parrain-ends-at="2026-12-21T10:00:00+01:00"' in html


def test_a_draft_contest_shows_nothing() -> None:
    contest = make_contest(make_program())
    assert render(contest).strip() == ""
