"""The daily summary stays exact when transactions write the same day at once while
compactions run: writers only append deltas, compactions take one advisory lock and fold
what has committed (core/day_summary.py)."""

from __future__ import annotations

import time as clock
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from decimal import Decimal
from threading import Barrier

import pytest
from django.db import connection, transaction
from django.utils import timezone

from parrain.core import day_summary
from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, DayFirsts, DaySummary, Invitation, Order
from parrain.core.services import stats

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY = date(2025, 3, 10)
THREADS = 12  # writers and compactions, started together
FOLDERS = 3


def _summary(program) -> list[tuple]:
    days = DaySummary.objects.filter(program=program).order_by("day")
    firsts = DayFirsts.objects.filter(program=program).order_by("day", "gap")
    return [
        *days.values_list("day", "invitations", "converted", "revenue", "referred"),
        *firsts.values_list("day", "gap", "referrers", "referees", "referees_answered"),
    ]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_racing_writers_on_one_day_keep_the_summary_exact() -> None:
    program = ProgramFactory(rules=False)
    people = [Contact.objects.create(program=program, email=f"p{n}@example.com") for n in range(6)]
    barrier = Barrier(THREADS)

    def write(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            with transaction.atomic():
                moment = timezone.make_aware(datetime.combine(DAY, time(8 + n % 10)))
                Invitation.objects.create(
                    program=program,
                    referrer=people[n % 2],  # the same people again and again
                    referee=people[2 + n % 4],
                    channel="email",
                    issued_at=moment,
                    referrer_terms={},
                )
                Order.objects.create(
                    program=program,
                    external_id=f"o{n}",
                    contact=people[2 + n % 4],
                    amount=Decimal("10.00") + n,
                    currency="EUR",
                    placed_at=moment,
                )
                clock.sleep(0.05)  # hold the transaction open while the others queue
        finally:
            connection.close()

    def fold(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(4):
                with transaction.atomic():
                    day_summary.compact()
                clock.sleep(0.02)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS + FOLDERS) as pool:
        jobs = [pool.submit(write, n) for n in range(THREADS - FOLDERS)]
        jobs += [pool.submit(fold, n) for n in range(FOLDERS)]
        for job in jobs:
            job.result()

    day_summary.compact()
    written = _summary(program)
    day_summary.rebuild(program.pk)
    assert _summary(program) == written
    figures = stats.dashboard(program, DAY, DAY)
    assert figures == stats._dashboard_rows(program, DAY, DAY)
    writers = THREADS - FOLDERS
    assert (figures.invitations, figures.influencers, figures.invited_referees) == (writers, 2, 4)
    assert figures.revenue == sum(Decimal("10.00") + n for n in range(writers))
