"""Holders per badge over time against a brute-force count of the holdings' history."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from parrain.core.exceptions import InvalidInput
from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import Badge, BadgeHolding
from parrain.core.services import stats

pytestmark = pytest.mark.django_db

START, END = date(2025, 3, 20), date(2025, 4, 5)  # crosses the spring DST change in Paris


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _held(holding: BadgeHolding, moment: datetime) -> bool:
    return holding.awarded_at < moment and (holding.lost_at is None or holding.lost_at >= moment)


@pytest.fixture
def history(settings):
    settings.TIME_ZONE = "Europe/Paris"
    rng = random.Random(11)
    program, other = ProgramFactory(), ProgramFactory()
    badges = [
        Badge.objects.create(program=program, rank=rank, names={"en": name})
        for rank, name in ((2, "Silver"), (1, "Bronze"), (3, "Gold"))
    ]
    stranger = Badge.objects.create(program=other, names={"en": "Elsewhere"})
    since, until = _midnight(START - timedelta(days=5)), _midnight(END + timedelta(days=5))
    edges = [_midnight(START), _midnight(END + timedelta(days=1))]
    holdings = []
    for n in range(60):
        contact = ContactFactory(program=program, email=f"h{n}@example.com")
        badge = rng.choice(badges)
        seconds = int((until - since).total_seconds())
        awarded = (
            rng.choice(edges) if n % 9 == 0 else since + timedelta(seconds=rng.randrange(seconds))
        )
        lost = None
        if rng.random() < 0.5:
            lost = awarded + timedelta(seconds=rng.randrange(10 * 86400))
        holdings.append(
            BadgeHolding.objects.create(
                badge=badge, contact=contact, awarded_at=awarded, lost_at=lost
            )
        )
    BadgeHolding.objects.create(
        badge=stranger, contact=ContactFactory(program=other), awarded_at=since
    )
    return program, badges, holdings


def test_counts_holders_at_the_end_of_each_day(history):
    program, badges, holdings = history
    figure = stats.badge_holders_over_time(program, START, END)
    assert figure.days == [START + timedelta(days=n) for n in range((END - START).days + 1)]
    assert [line.name for line in figure.badges] == ["Bronze", "Silver", "Gold"]
    for line in figure.badges:
        expected = [
            sum(
                1
                for h in holdings
                if h.badge_id == line.badge_id and _held(h, _midnight(day + timedelta(days=1)))
            )
            for day in figure.days
        ]
        assert line.counts == expected
    assert sum(sum(line.counts) for line in figure.badges) > 0


def test_weekly_points_count_back_from_the_last_day(history):
    program, _, _ = history
    daily = stats.badge_holders_over_time(program, START, END)
    weekly = stats.badge_holders_over_time(program, START, END, interval="week")
    assert weekly.days == [END - timedelta(days=14), END - timedelta(days=7), END]
    for day_line, week_line in zip(daily.badges, weekly.badges, strict=True):
        by_day = dict(zip(daily.days, day_line.counts, strict=True))
        assert week_line.counts == [by_day[day] for day in weekly.days]


def test_a_program_without_holders_shows_its_badges_at_zero():
    program = ProgramFactory()
    Badge.objects.create(program=program, names={"en": "Bronze"})
    figure = stats.badge_holders_over_time(program, START, START + timedelta(days=2))
    assert [line.counts for line in figure.badges] == [[0, 0, 0]]


def test_bad_ranges_are_refused():
    program = ProgramFactory()
    with pytest.raises(InvalidInput):
        stats.badge_holders_over_time(program, END, START)
    with pytest.raises(InvalidInput):
        stats.badge_holders_over_time(program, START, END, interval="month")
