"""Duplicate and concurrent events: one conversion, one reward, whatever the retries."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from functools import partial
from threading import Barrier
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from parrain.core.factories import ProgramFactory, verified_referrer, welcome_order
from parrain.core.models import AuditEvent, Order, Referral, Reward
from parrain.core.models.choices import Channel, ReferralStatus, Side
from parrain.core.services.contacts import get_or_create_contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email, issue_invitation
from parrain.core.services.orders import OrderData, RefundData, record_order, record_refund
from parrain.core.services.registration import register_referee
from parrain.core.services.validation import reward_referrer, validate_due, validate_referral

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


def together(*fns: Callable[[], Any]) -> list:
    """Run each of ``fns`` in its own thread and connection, all released at once."""
    barrier = Barrier(len(fns))

    def run(fn: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=30)
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(fns)) as pool:
        return list(pool.map(run, fns))


def in_parallel(fn: Callable[[], Any], count: int = THREADS) -> list:
    """Run ``fn`` in ``count`` threads released together, each with its own connection."""
    return together(*[fn] * count)


def test_same_order_posted_50_times_in_parallel_converts_and_rewards_once() -> None:
    program = ProgramFactory()
    data = welcome_order(program, external_id="A-1", amount="70")

    outcomes = in_parallel(lambda: record_order(program, data))

    assert sum(o.created for o in outcomes) == 1
    assert Order.objects.filter(external_id="A-1").count() == 1
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.CONVERTED

    later = timezone.now() + timedelta(days=program.validation_delay_days + 1)
    validated = in_parallel(lambda: validate_due(now=later), count=8)
    assert sum(validated) == 1
    in_parallel(lambda: reward_referrer(referral.pk))
    assert Reward.objects.filter(side=Side.REFERRER).count() == 1
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REWARDED


def test_same_referee_claiming_in_parallel_gets_one_welcome_code() -> None:
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com")
    registrations = in_parallel(
        lambda: register_referee(program, alice.code, "bob@example.org"), count=20
    )
    codes = {r.reward.code for r in registrations}
    assert len(codes) == 1
    assert Reward.objects.filter(side=Side.REFEREE).count() == 1
    assert Referral.objects.count() == 1


def _converted_for_the_race(program, n: int) -> Referral:
    code = enrol_referrer(program, "alice@example.com").code
    email = f"friend{n}@example.org"
    welcome = register_referee(program, code, email).reward
    data = OrderData(
        external_id=f"R-{n}",
        email=email,
        amount=Decimal("70"),
        currency="EUR",
        welcome_code=welcome.code,
    )
    return record_order(program, data).referral


def test_refund_racing_validation_ends_in_exactly_one_outcome() -> None:
    """Each round a full refund and the validation of its referral start together.

    Either the refund comes first (cancelled, no reward) or the validation does (validated,
    rewarded once, the refund recorded as after validation); never both decisions, never a
    reward on a cancelled referral.
    """
    program = ProgramFactory()
    later = timezone.now() + timedelta(days=program.validation_delay_days, minutes=1)
    for n in range(12):
        referral = _converted_for_the_race(program, n)
        refund = partial(record_refund, program, f"R-{n}", RefundData(external_id="full"))
        _, validated = together(refund, partial(validate_referral, referral.pk, later))

        referral.refresh_from_db()
        events = AuditEvent.objects.filter(referral=referral)
        decided = list(
            events.filter(action__in=["referral.validated", "referral.cancelled"]).values_list(
                "action", flat=True
            )
        )
        rewards = Reward.objects.filter(referral=referral, side=Side.REFERRER).count()
        if validated:
            assert decided == ["referral.validated"]
            assert (referral.status, rewards) == (ReferralStatus.REWARDED, 1)
            assert events.filter(action="refund.after_validation").exists()
        else:
            assert decided == ["referral.cancelled"]
            assert (referral.status, referral.cancel_reason) == (
                ReferralStatus.CANCELLED,
                "refunded",
            )
            assert rewards == 0


def test_referrers_racing_to_take_over_a_squatted_referee_open_one_referral() -> None:
    program = ProgramFactory()
    squatter = enrol_referrer(program, "anon@example.net").contact  # never verified
    bob, _ = get_or_create_contact(program, "bob@example.org")
    issue_invitation(squatter, bob, Channel.EMAIL, timezone.now())
    referrers = [verified_referrer(program, f"r{n}@example.com") for n in range(10)]

    together(*[partial(invite_by_email, referrer, ["bob@example.org"]) for referrer in referrers])

    live = Referral.objects.exclude(status=ReferralStatus.CANCELLED)
    assert live.count() == 1 and live.get().referrer in referrers
    cancelled = Referral.objects.get(status=ReferralStatus.CANCELLED)
    assert (cancelled.referrer, cancelled.cancel_reason) == (squatter, "superseded_unverified")
    assert AuditEvent.objects.filter(action="referral.superseded").count() == 1
