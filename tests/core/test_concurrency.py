"""Duplicate and concurrent events: one conversion, one reward, whatever the retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from threading import Barrier

import pytest
from django.db import connection
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import Order, Referral, Reward
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from parrain.core.services.validation import reward_referrer, validate_due

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


def in_parallel(fn, count: int = THREADS) -> list:
    """Run ``fn`` in ``count`` threads released together, each with its own connection."""
    barrier = Barrier(count)

    def run(_: int):
        try:
            barrier.wait(timeout=30)
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_same_order_posted_50_times_in_parallel_converts_and_rewards_once() -> None:
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com")
    welcome = register_referee(program, alice.code, "bob@example.org").reward
    data = OrderData(
        external_id="A-1",
        email="bob@example.org",
        amount=Decimal("70"),
        currency="EUR",
        welcome_code=welcome.code,
    )

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
