"""``{% parrain_offer program %}``: the server-rendered offer of Oscar and Wagtail pages, with
a boost's label, end and countdown while it runs, and the normal offer to return to."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.template import Context, Template
from django.utils import translation

from parrain.core.factories import ProgramFactory
from parrain.core.models import Boost, Program, RewardRule
from parrain.core.models.choices import RewardKind, Side

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
EARN = "You earn {} for each friend who orders."
FRIENDS = "Your friends get {}."


@pytest.fixture
def program() -> Program:
    return ProgramFactory(slug="lumiere", time_zone="America/Toronto")


def render(program: Program | str, language: str = "en") -> str:
    with translation.override(language), time_machine.travel(NOW, tick=False):
        template = Template("{% load parrain %}{% parrain_offer program %}")
        return template.render(Context({"program": program}))


def blocks(html: str) -> dict[str, str]:
    """The boosted and the normal block's text, the normal one marked when hidden."""
    found = {}
    for name in ("boosted", "normal"):
        match = re.search(rf'<div class="parrain-offer__{name}"( hidden)?>(.*?)</div>', html, re.S)
        if match:
            text = " ".join(re.sub(r"<[^>]+>", " ", match[2]).split())
            found[name] = ("[hidden] " if match[1] else "") + text
    return found


def boost(program: Program, *, welcome: bool = True, **dates: datetime) -> Boost:
    def rule(side: str, kind: str, value: int) -> RewardRule:
        return RewardRule.objects.create(program=program, side=side, kind=kind, value=value)

    return Boost.objects.create(
        program=program,
        name="Weekend",
        labels={"en": "Double reward this weekend", "fr": "Récompense doublée ce week-end"},
        starts_at=dates.get("starts_at", NOW - timedelta(hours=1)),
        ends_at=dates.get("ends_at", datetime(2026, 12, 6, 22, 59, tzinfo=UTC)),
        referrer_rule=rule(Side.REFERRER, RewardKind.FIXED_AMOUNT, 20),
        referee_rule=rule(Side.REFEREE, RewardKind.PERCENTAGE, 25) if welcome else None,
    )


def test_without_a_boost_the_normal_offer_shows_with_no_countdown(program: Program) -> None:
    html = render(program)
    assert blocks(html) == {
        "normal": f"{EARN.format('€10 off')} {FRIENDS.format('15% off')}",
    }
    assert "data-parrain-ends-at" not in html and "parrain-offer--boosted" not in html


def test_a_running_boost_shows_its_label_end_and_countdown_and_keeps_the_normal_offer(
    program: Program,
) -> None:
    boost(program)
    html = render(program)
    shown = blocks(html)
    assert shown["boosted"].startswith(
        "Double reward this weekend "
        f"{EARN.format('€20 off')} {FRIENDS.format('25% off')} "
        # the end in the program's time zone (Toronto: UTC-5 in December), not the site's
        "Until Dec. 6, 2026, 5:59 p.m. (EST)"
    ), shown["boosted"]
    assert shown["normal"] == f"[hidden] {EARN.format('€10 off')} {FRIENDS.format('15% off')}"
    [ends_at] = re.findall(r'data-parrain-ends-at="([^"]+)"', html)
    assert datetime.fromisoformat(ends_at) == datetime(2026, 12, 6, 22, 59, tzinfo=UTC)
    assert "data-parrain-countdown" in html and "parrain-offer--boosted" in html


def test_the_boost_speaks_the_page_language(program: Program) -> None:
    boost(program, welcome=False)
    html = render(program, "fr")
    assert "Récompense doublée ce week-end" in html
    assert "15 % de remise" in blocks(html)["boosted"]  # no welcome offer of its own


def test_a_boost_not_started_or_over_shows_the_normal_offer(program: Program) -> None:
    boost(program, starts_at=NOW + timedelta(seconds=1), ends_at=NOW + timedelta(days=1))
    assert "boosted" not in blocks(render(program))
    Boost.objects.all().delete()
    boost(program, starts_at=NOW - timedelta(days=1), ends_at=NOW)  # end excluded
    assert "boosted" not in blocks(render(program))


def test_the_tag_takes_a_program_slug_like_parrain_widget(program: Program) -> None:
    assert EARN.format("€10 off") in render("lumiere")
    assert render("no-such-program").strip() == ""
