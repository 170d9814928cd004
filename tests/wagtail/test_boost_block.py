"""The offer block while a boost runs, and after it ended (no edit of the page)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from parrain.plugins.wagtail.blocks import OfferBlock

from .helpers import make_boost, make_program
from .test_blocks import FRIEND_GETS, REFERRER_GETS, FakePage

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
END = datetime(2026, 12, 6, 22, 59, tzinfo=UTC)  # Sunday 23:59 in Paris


def render(program, language: str = "en", side: str = "both", request=None) -> str:  # type: ignore[no-untyped-def]
    block = OfferBlock()
    context = {"page": FakePage(program, language)}
    if request is not None:
        context["request"] = request
    return block.render(block.to_python({"side": side}), context=context)


@time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), tick=False)
def test_running_boost_shows_label_end_countdown_and_hides_the_normal_offer() -> None:
    program = make_program()
    make_boost(program, START, END)

    html = render(program)

    assert "Double reward until Sunday" in html
    assert "parrain-offer--boosted" in html
    assert 'data-parrain-ends-at="2026-12-06T23:59:00+01:00"' in html  # the program's zone
    assert "For invitations sent until" in html and "Dec. 6, 2026, 11:59 p.m." in html
    assert "ends in <span data-parrain-countdown>2\xa0days, 10\xa0hours</span>" in html
    assert "parrain/countdown.js" in html
    boosted, normal = html.split('class="parrain-offer__normal" hidden')
    # the boosted side: the boost's reward for the referrer, the normal welcome offer
    assert REFERRER_GETS in boosted and "€20 off" in boosted
    assert FRIEND_GETS in boosted and "15% off your first order" in boosted
    # the normal offer is in the page for the countdown to show at the end
    assert "€10 off" in normal and "€20 off" not in normal


@time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), tick=False)
def test_running_boost_speaks_the_page_language() -> None:
    program = make_program()
    make_boost(program, START, END)

    html = render(program, "fr")

    assert "Double récompense" in html and "20 € offerts" in html
    with translation.override("fr"):  # the French catalog's words (filled at integration)
        sides = gettext(REFERRER_GETS), gettext(FRIEND_GETS)
    assert sides[0] in html and sides[1] in html
    assert "6 décembre 2026" in html


@time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), tick=False)
def test_boost_on_the_friends_side_only_shows_no_referrer_reward() -> None:
    program = make_program()
    make_boost(program, START, END)

    html = render(program, side="referee")

    assert "Double reward until Sunday" in html
    assert "15% off your first order" in html
    assert "€20 off" not in html and "€10 off" not in html


@time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), tick=False)
def test_countdown_script_is_written_once_per_request() -> None:
    program = make_program()
    make_boost(program, START, END)
    request = RequestFactory().get("/")

    first, second = render(program, request=request), render(program, request=request)

    assert "parrain/countdown.js" in first
    assert "parrain/countdown.js" not in second and "data-parrain-ends-at" in second


def test_block_returns_to_the_normal_offer_at_the_boost_end_by_itself() -> None:
    program = make_program()
    make_boost(program, START, END)

    with time_machine.travel(datetime(2026, 12, 6, 22, 58, 59, tzinfo=UTC), tick=False):
        during = render(program)
    with time_machine.travel(END, tick=False):  # the end instant is outside the window
        after = render(program)

    assert "Double reward until Sunday" in during
    assert "Double reward until Sunday" not in after
    assert "€10 off" in after and "€20 off" not in after
    assert "data-parrain-ends-at" not in after and "countdown.js" not in after
    assert 'class="parrain-offer__normal"' in after and "hidden" not in after


def test_boost_not_yet_started_leaves_the_normal_offer() -> None:
    program = make_program()
    make_boost(program, START, END)

    with time_machine.travel(datetime(2026, 11, 30, tzinfo=UTC), tick=False):
        html = render(program)

    assert "€10 off" in html and "Double reward" not in html
