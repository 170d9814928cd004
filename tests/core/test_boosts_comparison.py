"""The boost window against the same length before it, checked against a brute-force count."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import Contact, Invitation, Order, Referral
from parrain.core.models.choices import Channel, ReferralStatus
from parrain.core.services import boosts
from parrain.core.services.stats import CONVERTED_STATUSES, rate

from .boost_helpers import make_boost, paris

pytestmark = pytest.mark.django_db

START, END = paris(2026, 12, 10), paris(2026, 12, 14)


def _moment(rng: random.Random) -> datetime:
    """Anywhere from 8 days before the start to 4 days after the end, edges included."""
    edges = [START, END, START - (END - START), START - timedelta(microseconds=1)]
    if rng.random() < 0.1:
        return rng.choice(edges)
    return START - timedelta(days=8) + timedelta(seconds=rng.randrange(16 * 24 * 3600))


def _populate(program, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    referrers = [ContactFactory(program=program) for _ in range(5)]
    for n in range(120):
        referee = ContactFactory(program=program)
        referrer = rng.choice(referrers)
        invitations = [
            Invitation.objects.create(
                program=program,
                referrer=referrer,
                referee=referee,
                channel=Channel.EMAIL,
                issued_at=_moment(rng),
                referrer_terms={},
            )
            for _ in range(rng.choice([1, 1, 2]))
        ]
        status = rng.choice(list(ReferralStatus.values))
        converted_at = _moment(rng) if rng.random() < 0.7 else None
        referral = Referral.objects.create(
            program=program,
            referrer=referrer,
            referee=referee,
            invitation=invitations[0],
            invited_at=invitations[0].issued_at,
            status=status,
            converted_at=converted_at,
        )
        for m in range(rng.choice([0, 1, 2])):
            amount = Decimal(rng.randrange(1000, 20000)) / 100
            Order.objects.create(
                program=program,
                external_id=f"{n}-{m}",
                contact=referee,
                amount=amount,
                refunded_amount=amount / 2 if rng.random() < 0.2 else Decimal(0),
                currency="EUR",
                placed_at=_moment(rng),
                referral=referral if rng.random() < 0.8 else None,
            )
    Order.objects.create(  # not referred: never counted
        program=program, external_id="plain", amount=Decimal("99"), currency="EUR", placed_at=START
    )


def _brute(program, since: datetime, until: datetime) -> dict:  # type: ignore[no-untyped-def]
    def inside(moment: datetime | None) -> bool:
        return moment is not None and since <= moment < until

    invitations = [i for i in Invitation.objects.filter(program=program) if inside(i.issued_at)]
    invited = {i.referee_id for i in invitations}
    converted = {
        r.referee_id
        for r in Referral.objects.filter(program=program)
        if r.status in CONVERTED_STATUSES and inside(r.converted_at)
    }
    revenue = sum(
        (
            o.amount - o.refunded_amount
            for o in Order.objects.filter(program=program).select_related("referral")
            if inside(o.placed_at)
            and o.referral is not None
            and o.referral.status != ReferralStatus.CANCELLED
        ),
        Decimal("0"),
    )
    return {
        "invitations": len(invitations),
        "invited_referees": len(invited),
        "conversions": len(converted),
        "conversion_rate": rate(len(converted), len(invited)),
        "referred_revenue": revenue.quantize(Decimal("0.01")),
        "currency": "EUR",
    }


def test_comparison_matches_a_brute_force_count() -> None:
    with time_machine.travel(paris(2026, 12, 1), tick=False):
        program = ProgramFactory()
        boost = make_boost(program, START, END)
    other = ProgramFactory()  # another program's activity never counts
    _populate(program, random.Random(12))
    _populate(other, random.Random(13))
    assert Contact.objects.filter(program=program).count() > 100

    result = boosts.comparison(boost, now=END + timedelta(days=3))
    assert result["window"] == (START, END)
    assert result["before_window"] == (START - (END - START), START)
    assert result["boost"] == _brute(program, START, END)
    assert result["before"] == _brute(program, START - (END - START), START)
    assert result["boost"]["invitations"] > 0 and result["before"]["conversions"] > 0

    # Running: counts up to now, against as long a stretch before the start.
    now = START + timedelta(days=1, hours=5)
    running = boosts.comparison(boost, now=now)
    assert running["window"] == (START, now)
    assert running["boost"] == _brute(program, START, now)
    assert running["before"] == _brute(program, START - (now - START), START)
