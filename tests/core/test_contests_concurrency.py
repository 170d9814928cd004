"""Simultaneous draws of one contest (PostgreSQL, one connection per thread)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from parrain.core.factories import ProgramFactory
from parrain.core.models import (
    AuditEvent,
    ContestEntry,
    ContestWinner,
    Reward,
    RewardRule,
    TicketSource,
)
from parrain.core.models.choices import RewardKind, Side
from parrain.core.services import contests

from .contest_helpers import invite, open_contest, referrer
from .test_concurrency import in_parallel
from .test_contests import AFTER_DRAW, IN, START

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_simultaneous_draws_draw_once_and_issue_each_prize_once() -> None:
    program = ProgramFactory()
    rule = RewardRule.objects.create(
        program=program, side=Side.PRIZE, kind=RewardKind.FIXED_AMOUNT, value=Decimal("50")
    )
    contest = open_contest(
        program,
        start=START,
        ticket_source=TicketSource.INVITATION_SENT,
        prizes=[("Voucher", 2, rule), ("Hamper", 1, None)],
    )
    for count in (1, 2, 3, 4):
        sender = referrer(program)
        for _ in range(count):
            invite(program, sender, IN)

    with time_machine.travel(AFTER_DRAW, tick=False):
        results = in_parallel(lambda: contests.draw(contest, "lottery 1 2 3"), count=8)

    assert sum(r.created for r in results) == 1
    picks = {tuple(w.pk for w in r.winners) for r in results}
    assert len(picks) == 1  # everybody got the first result
    assert ContestEntry.objects.filter(contest=contest).count() == 4
    assert ContestWinner.objects.filter(contest=contest).count() == 3
    assert Reward.objects.filter(side=Side.PRIZE).count() == 2
    assert (
        Reward.objects.filter(prize_winner__isnull=False).values("prize_winner").distinct().count()
        == 2
    )
    assert AuditEvent.objects.filter(action="contest.drawn").count() == 1
    assert len(mail.outbox) == 3


def test_the_prize_task_run_eight_times_at_once_issues_one_code_and_one_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parrain.core.services import contest_prizes

    program = ProgramFactory()
    rule = RewardRule.objects.create(
        program=program, side=Side.PRIZE, kind=RewardKind.FIXED_AMOUNT, value=Decimal("50")
    )
    contest = open_contest(
        program, start=START, ticket_source=TicketSource.INVITATION_SENT, prizes=[("V", 1, rule)]
    )
    invite(program, referrer(program), IN)
    monkeypatch.setattr(contest_prizes, "award_after_commit", lambda winners: None)
    with time_machine.travel(AFTER_DRAW, tick=False):
        winner = contests.draw(contest, "lottery").winners[0]
    assert not Reward.objects.exists()

    in_parallel(lambda: contest_prizes.award(winner.pk), count=8)

    assert Reward.objects.filter(prize_winner=winner).count() == 1
    assert len(mail.outbox) == 1
