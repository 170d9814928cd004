"""A real Celery worker consuming from Redis runs the reward task enqueued on commit."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import Referral, Reward
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from parrain.core.services.validation import validate_due
from sandbox.celery_app import app
from tests.services import REDIS_TEST_URL

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BROKER = REDIS_TEST_URL


def drop_producer_pool() -> None:
    """Eager calls cache a producer pool on the broker of the moment (memory://)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_worker():
    previous = {k: app.conf.get(k) for k in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=BROKER, result_backend=BROKER, task_always_eager=False)
    drop_producer_pool()
    app.connection_for_write().default_channel.client.flushdb()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.update(previous)
        drop_producer_pool()


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_validation_enqueues_reward_task_that_a_redis_worker_runs(redis_worker) -> None:
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice")
    welcome = register_referee(program, alice.code, "bob@example.org").reward
    assert wait_for(lambda: any(welcome.code in m.body for m in mail.outbox)), (
        "the welcome email task did not run on the worker"
    )
    record_order(
        program,
        OrderData(
            external_id="W-1",
            email="bob@example.org",
            amount=Decimal("40"),
            currency="EUR",
            welcome_code=welcome.code,
        ),
    )

    later = timezone.now() + timedelta(days=program.validation_delay_days + 1)
    assert validate_due(now=later) == 1
    # The reward is issued by the worker, not by this process.
    assert wait_for(lambda: Reward.objects.filter(side=Side.REFERRER).exists())
    assert wait_for(lambda: Referral.objects.get().status == ReferralStatus.REWARDED)
    reward = Reward.objects.get(side=Side.REFERRER)
    assert wait_for(lambda: any(reward.code in m.body for m in mail.outbox))
