"""Two real ``celery worker`` processes share the scenario queue and send each message once.

10,000 due messages are written set-based to the test database pytest-django created; both
workers (each its own process, as in production: tests/worker_settings.py) consume the same
Redis queue, where several ``send_due_messages`` tasks wait, and deliver through Django's
SMTP backend to one ``aiosmtpd`` server on loopback run by this test. Each worker greets the
server with its own name, so the test sees who sent what. Rows are picked ``FOR UPDATE SKIP
LOCKED`` (core/messaging/engine.py): no message may arrive twice, none may be left behind,
and both workers must have taken part.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from parrain.core.factories import ProgramFactory
from parrain.core.models import ScenarioStep, ScheduledMessage
from parrain.core.models.choices import MessageChannel, MessageStatus
from sandbox.celery_app import app
from tests.services import REDIS_TEST_URL

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
MESSAGES = 10_000
WORKERS = 2
TASKS = 8  # send_due_messages tasks enqueued: each drains batches until the queue is empty


class Sink:
    """An SMTP server on loopback that keeps, per message, the recipients and the name the
    sending worker greeted it with (EHLO)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, tuple[str, ...]]] = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's)
        with self.lock:
            self.received.append((session.host_name, tuple(envelope.rcpt_tos)))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


@pytest.fixture
def redis_queue() -> Iterator[None]:
    """Tasks of this process go to this checkout's Redis database, emptied first."""
    previous = {k: app.conf.get(k) for k in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=REDIS_TEST_URL, result_backend=None, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    app.connection_for_write().default_channel.client.flushdb()
    try:
        yield
    finally:
        app.conf.update(previous)
        app._pool = None
        app.amqp._producer_pool = None


class Worker:
    """``celery worker`` on the test database, delivering to ``sink`` as ``name``."""

    def __init__(self, name: str, sink: Sink, folder: Path) -> None:
        self.name = name
        self.log = folder / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "PARRAIN_WORKER_DB": connection.settings_dict["NAME"],
            "PARRAIN_WORKER_SMTP_PORT": str(sink.port),
            "PARRAIN_WORKER_NAME": name,
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "celery", "-A", "sandbox.celery_app", "worker"]
        command += ["--pool=solo", "--loglevel=INFO", f"--hostname={name}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        command += ["--prefetch-multiplier=1"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def check(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"{self.name} exited ({self.process.returncode}):\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture
def workers(redis_queue: None, sink: Sink, tmp_path: Path) -> Iterator[list[Worker]]:
    started = [Worker(f"worker{n}", sink, tmp_path) for n in range(1, WORKERS + 1)]
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()
    assert all(worker.process.returncode is not None for worker in started)


CONTACTS_SQL = """
INSERT INTO parrain_contact (program_id, email, email_normalized, email_canonical, phone,
    first_name, last_name, share_name, language, referrer_code, is_customer, consent_recontact,
    consent_source, created_at, tags)
SELECT %(program)s, 'c' || g || '@workers.example', 'c' || g || '@workers.example',
    'c' || g || '@workers.example', '', 'Camille', '', '', 'fr', 'W' || g, true, true, 'test',
    now() - interval '30 days', '[]'
FROM generate_series(1, %(count)s) g
"""
MESSAGES_SQL = """
INSERT INTO parrain_scheduledmessage (program_id, step_id, contact_id, kind, channel,
    subject_type, subject_id, context, dedupe_key, created_at, due_at, status, delayed_by,
    reason, error, attempts, "to", subject_line, provider_id)
SELECT c.program_id, %(step)s, c.id, %(kind)s, 'email', 'contact', c.id, '{}',
    's' || %(step)s || ':' || c.id || ':contact:' || c.id, now(), now() - interval '1 minute',
    'pending', '', '', '', 0, '', '', ''
FROM parrain_contact c WHERE c.program_id = %(program)s
"""


def schedule(count: int) -> None:
    """``count`` contacts with one due solicitation each, written in two statements."""
    program = ProgramFactory(quiet_hours_start=None, quiet_hours_end=None)
    step = ScenarioStep.objects.create(
        program=program,
        trigger="became_customer",
        kind="incitation",
        recipient="contact",
        channel=MessageChannel.EMAIL,
        delay_amount=0,
    )
    params = {"program": program.pk, "step": step.pk, "kind": step.kind, "count": count}
    with connection.cursor() as cursor:
        cursor.execute(CONTACTS_SQL, params)
        cursor.execute(MESSAGES_SQL, params)
        cursor.execute("ANALYZE parrain_contact")
        cursor.execute("ANALYZE parrain_scheduledmessage")


def wait_for(predicate, workers: list[Worker], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers:
            worker.check()
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_two_workers_send_ten_thousand_due_messages_each_exactly_once(
    workers: list[Worker], sink: Sink
) -> None:
    from parrain.core.tasks import send_due_messages

    # Given 10,000 due messages to 10,000 contacts
    schedule(MESSAGES)
    pending = ScheduledMessage.objects.filter(status=MessageStatus.PENDING)
    assert pending.count() == MESSAGES

    # When several send_due_messages tasks wait on the queue both workers consume
    for _ in range(TASKS):
        send_due_messages.delay()

    # Then every message is delivered, and the queue is empty
    def delivered() -> bool:
        return sink.count() >= MESSAGES and not pending.exists()

    logs = "\n".join(worker.output() for worker in workers)
    # Generous: a correctness test (each message once), not a timing one; a loaded CI
    # machine running two pytest processes can be several times slower than a quiet one.
    assert wait_for(delivered, workers, timeout=400), (
        f"{sink.count()} delivered, {pending.count()} waiting\n{logs}"
    )
    time.sleep(1)  # a duplicate would arrive now, after the last row was marked sent

    # each exactly once: one SMTP delivery per contact, one row sent per delivery
    recipients = Counter(rcpt for _name, rcpts in sink.received for rcpt in rcpts)
    twice = [address for address, n in recipients.items() if n > 1]
    assert twice == [], f"{len(twice)} addresses got more than one message: {twice[:5]}"
    assert len(recipients) == MESSAGES
    assert set(recipients) == {f"c{n}@workers.example" for n in range(1, MESSAGES + 1)}
    statuses = Counter(ScheduledMessage.objects.values_list("status", flat=True))
    assert statuses == {MessageStatus.SENT: MESSAGES}
    assert not ScheduledMessage.objects.filter(sent_at__isnull=True).exists()
    assert not ScheduledMessage.objects.exclude(attempts=1).exists()  # none retried

    # and both workers did part of the work
    by_worker = Counter(name for name, _rcpts in sink.received)
    assert set(by_worker) == {worker.name for worker in workers}, by_worker
    assert min(by_worker.values()) >= MESSAGES // 20, by_worker
