"""A real Celery worker consuming from Redis runs the reward task enqueued on commit.

One test runs the worker as a thread of this process (fast, sees this process's outbox);
the other starts ``celery worker`` as its own process, as in production, on the test
database pytest-django created.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from email.message import Message
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.utils import timezone

from parrain.core.factories import ProgramFactory, welcome_order
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
ROOT = Path(__file__).resolve().parent.parent.parent


def drop_producer_pool() -> None:
    """Eager calls cache a producer pool on the broker of the moment (memory://)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_broker() -> Iterator[None]:
    """Tasks of this process go to this checkout's Redis database, emptied first."""
    previous = {k: app.conf.get(k) for k in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=BROKER, result_backend=BROKER, task_always_eager=False)
    drop_producer_pool()
    app.connection_for_write().default_channel.client.flushdb()
    try:
        yield
    finally:
        app.conf.update(previous)
        drop_producer_pool()


@pytest.fixture
def redis_worker(redis_broker: None):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app


class WorkerProcess:
    """``python -m celery -A sandbox.celery_app worker`` on the test database and Redis."""

    def __init__(self, folder: Path) -> None:
        self.mail_dir = folder / "mail"
        self.mail_dir.mkdir()
        self.log = folder / "worker.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "PARRAIN_WORKER_DB": connection.settings_dict["NAME"],  # pytest-django's test DB
            "PARRAIN_WORKER_MAIL_DIR": str(self.mail_dir),
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "celery", "-A", "sandbox.celery_app", "worker"]
        command += ["--pool=solo", "--loglevel=INFO", "--hostname=pytest-worker@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def running(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited ({self.process.returncode}):\n{self.output()}")
        return True

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def messages(self) -> list[Message]:
        return [email.message_from_bytes(p.read_bytes()) for p in self.mail_dir.iterdir()]

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), as a supervisor does; killed if it hangs."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture
def worker_process(redis_broker: None, tmp_path: Path) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(tmp_path)
    try:
        yield worker
    finally:
        worker.stop()
    assert worker.process.returncode is not None  # no worker left behind


def text_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


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


def test_a_separate_worker_process_issues_the_reward_and_emails_it(
    worker_process: WorkerProcess,
) -> None:
    # Given a converted referral, committed to the test database
    program = ProgramFactory()
    order = welcome_order(program, external_id="P-1", amount="40", referrer_name="Alice")
    record_order(program, order)
    # When it is validated here, the reward task goes to Redis on commit
    later = timezone.now() + timedelta(days=program.validation_delay_days + 1)
    assert validate_due(now=later) == 1
    assert mail.outbox == []  # this process sends nothing: every task went to Redis

    # Then the worker process issues the reward in the same database, and emails it
    def rewarded() -> bool:
        return worker_process.running() and Referral.objects.get().status == ReferralStatus.REWARDED

    def emailed(code: str, to: str) -> bool:
        messages = worker_process.messages() if worker_process.running() else []
        return any(code in text_of(m) and m["To"] == to for m in messages)

    assert wait_for(rewarded), worker_process.output()
    reward = Reward.objects.get(side=Side.REFERRER)
    assert reward.code and reward.recipient.email == "alice@example.com"
    assert wait_for(lambda: emailed(reward.code, "alice@example.com")), worker_process.output()
    assert wait_for(lambda: emailed(order.welcome_code, "bob@example.org")), worker_process.output()
