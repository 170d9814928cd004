"""Issue 12 in Chromium: the boosted offer counts down on the page that embeds the widgets
and gives way to the normal offer at its end without a reload; a signed-in referrer sees
their tickets in a contest."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import Boost, Contest, Program, RewardRule
from parrain.core.models.choices import RewardKind, Side
from parrain.core.models.contest import ContestStatus, TicketSource
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email

pytestmark = pytest.mark.django_db(transaction=True)
BOOST_SECONDS = 12  # long enough to load the page and see it tick, short enough to wait for
TIMEOUT_MS = 30_000


@pytest.fixture
def site(live_server: Any, settings: Any) -> dict[str, Any]:
    from parrain.core.api import widget

    cache.clear()
    widget._configs.forget()
    settings.PARRAIN_BASE_URL = live_server.url
    program = ProgramFactory(
        slug="boosted-widgets",
        landing_url=f"{live_server.url}/widgets/?program=boosted-widgets",
        allowed_origins=[live_server.url],
    )
    return {"url": live_server.url, "program": program}


def page_of(site: dict[str, Any]) -> str:
    return f"{site['url']}/widgets/?program={site['program'].slug}"


def shadow_text(page: Any, section: str) -> str:
    return page.evaluate(
        f"() => document.querySelector('#{section} parrain-widget').shadowRoot.textContent"
    )


def start_boost(program: Program, seconds: int) -> Boost:
    now = timezone.now()
    return Boost.objects.create(
        program=program,
        name="Weekend",
        labels={"en": "Double reward this weekend", "fr": "Récompense doublée ce week-end"},
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(seconds=seconds),
        referrer_rule=RewardRule.objects.create(
            program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=Decimal(20)
        ),
        referee_rule=RewardRule.objects.create(
            program=program, side=Side.REFEREE, kind=RewardKind.PERCENTAGE, value=Decimal(25)
        ),
    )


def test_the_boosted_offer_counts_down_then_the_normal_offer_returns_without_reload(
    browser: Any, site: dict[str, Any], artifacts: Path
) -> None:
    # Given a boost ending in a few seconds
    start_boost(site["program"], BOOST_SECONDS)
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(page_of(site))
    referee = page.locator("#referee parrain-widget")
    referrer = page.locator("#referrer parrain-widget")
    # Then the friend's widget shows the boosted welcome offer, a label of its own (the shop's
    # boost label speaks of the referrer's reward) and a countdown
    referee.get_by_role("heading", name="With a friend's referral code, get 25% off").wait_for()
    assert referee.get_by_text("Boosted welcome offer").is_visible()
    assert not referee.get_by_text("Double reward this weekend").is_visible()
    assert referrer.get_by_text("Earn €20 off for each friend who orders.").is_visible()
    page.evaluate("() => { window.__sameDocument = true; }")
    timer = referee.get_by_role("timer")
    first = timer.inner_text()
    assert first.endswith("seconds left"), first
    page.wait_for_function(
        "(first) => document.querySelector('#referee parrain-widget').shadowRoot"
        ".querySelector('[role=timer]').textContent !== first",
        arg=first,
        timeout=5_000,
    )
    assert "Until " in shadow_text(page, "referee")
    page.screenshot(path=artifacts / "boost-countdown-1280.png", full_page=True)

    # When the boost's end passes, both widgets show the normal offer, in the same page
    normal = referee.get_by_role("heading", name="With a friend's referral code, get 15% off")
    normal.wait_for(timeout=TIMEOUT_MS)
    referrer.get_by_text("Earn €10 off for each friend who orders.").wait_for()
    assert page.evaluate("() => window.__sameDocument") is True
    for section in ("referee", "referrer"):
        text = shadow_text(page, section)
        assert "Double reward" not in text and "25% off" not in text, text
    assert referee.get_by_role("timer").count() == 0
    page.screenshot(path=artifacts / "boost-ended-1280.png", full_page=True)
    context.close()


def test_the_referrer_widget_shows_the_tickets_of_a_contest(
    browser: Any, site: dict[str, Any], artifacts: Path
) -> None:
    program: Program = site["program"]
    now = timezone.now()
    contest = Contest.objects.create(
        program=program,
        name="Christmas draw",
        rules_texts={"en": "One ticket per invitation sent."},
        status=ContestStatus.OPEN,
        entries_start=now - timedelta(days=2),
        entries_end=now + timedelta(days=20),
        draw_at=now + timedelta(days=21),
        ticket_source=TicketSource.INVITATION_SENT,
        ticket_cap=5,
        commitment="0" * 64,
        opened_at=now - timedelta(days=2),
    )
    # Given Alice, a shop customer who invited three friends during the entry period
    with time_machine.travel(now - timedelta(hours=1)):
        alice = enrol_referrer(program, "alice@example.com", first_name="Alice").contact
        invite_by_email(alice, ["a@example.org", "b@example.org", "c@example.org"])
    get_user_model().objects.create_user(
        "alice", "alice@example.com", "pw-alice-2026", first_name="Alice"
    )
    client = Client()
    client.login(username="alice", password="pw-alice-2026")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1000})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site["url"]}]
    )
    page = context.new_page()
    # When she opens the page with the referrer widget, signed in
    page.goto(page_of(site))
    referrer = page.locator("#referrer parrain-widget")
    # Then it lists the contest with her tickets, its period, the draw and its public page
    contests = referrer.get_by_role("group", name="Prize draws")
    contests.wait_for()
    assert contests.get_by_text("Christmas draw").is_visible()
    assert contests.get_by_text("Your tickets: 3 (at most 5)").is_visible()
    text = contests.inner_text()
    assert "draw on" in text and "null" not in text, text
    # and her id in the entries file the draw will publish, to find her line in it
    from parrain.core.services.contests import entrant_id

    alice = contest.program.contacts.get(email_normalized="alice@example.com")
    assert f"Your id in the draw: {entrant_id(contest, alice.pk)}" in text
    link = contests.get_by_role("link", name="Rules and draw")
    assert link.get_attribute("href") == f"{site['url']}/contest/{contest.public_id}/"
    page.screenshot(path=artifacts / "contest-tickets-1280.png", full_page=True)
    context.close()
