"""A contact import survives its worker being killed: a real ``celery worker`` process on
Redis is SIGKILLed mid-import, a new one takes the unacknowledged task back and resumes
after the last committed batch; every row is in exactly once and the counts are right.

Cost: one worker start each, 3,000 rows in batches of 25 (tests/worker_settings.py reads
the batch size, the shared media folder and a one-second visibility timeout from the
environment: Redis otherwise gives an unacknowledged task back after an hour).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Contact, ContactImport
from parrain.core.models.choices import ImportStatus
from parrain.core.services import contact_imports
from tests.core.test_celery_worker import redis_broker  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
ROWS, BATCH = 3_000, 25
INVALID_EVERY = 100  # rows 99, 199, …: 30 invalid rows


class Worker:
    """``celery worker`` (solo pool) on the test database, this process's media folder."""

    def __init__(self, name: str, folder: Path) -> None:
        self.log = folder / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "PARRAIN_WORKER_DB": connection.settings_dict["NAME"],
            "PARRAIN_WORKER_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PARRAIN_WORKER_IMPORT_BATCH": str(BATCH),
            "PARRAIN_WORKER_VISIBILITY_TIMEOUT": "1",
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "celery", "-A", "sandbox.celery_app", "worker"]
        command += ["--pool=solo", "--loglevel=INFO", f"--hostname={name}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """As the OOM killer or a lost machine would: no warm shutdown, no ack."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture
def start_worker(redis_broker: None, tmp_path: Path) -> Iterator:  # noqa: F811
    started: list[Worker] = []

    def start(name: str) -> Worker:
        started.append(Worker(name, tmp_path))
        return started[-1]

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


def customer_file() -> io.BytesIO:
    lines = ["email,first_name,last_name"]
    for n in range(ROWS):
        email = f"broken-{n}" if n % INVALID_EVERY == INVALID_EVERY - 1 else f"c{n}@example.com"
        lines.append(f"{email},Client{n},Worker")
    return io.BytesIO("\n".join(lines).encode())


def wait_for(predicate, worker: Worker, timeout: float, pause: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}):\n{worker.output()}")
        if predicate():
            return True
        time.sleep(pause)
    return False


def test_an_import_resumes_on_a_new_worker_after_its_worker_is_killed(start_worker) -> None:
    # Given a checked file of 3,000 rows, and a worker
    program = ProgramFactory()
    contact_import = contact_imports.start(
        program, customer_file(), "clients.csv", actor="admin:owner"
    )
    mapping = {"email": "email", "first_name": "first_name", "last_name": "last_name"}
    contact_import = contact_imports.set_mapping(contact_import, mapping, actor="admin:owner")
    first = start_worker("first")

    # When the import is confirmed (the task goes to Redis) and the worker is killed mid-way
    contact_imports.confirm(contact_import, actor="admin:owner")
    row = ContactImport.objects.filter(pk=contact_import.pk)

    def half_way() -> bool:
        return row.get().rows_done >= 10 * BATCH

    assert wait_for(half_way, first, timeout=60, pause=0.01), first.output()
    first.kill()
    killed_at = row.get()
    assert killed_at.status == ImportStatus.RUNNING, first.output()
    assert 0 < killed_at.rows_done < ROWS
    written = Contact.objects.filter(program=program).count()
    assert 0 < written < ROWS

    # Then a new worker takes the task back and finishes the import
    second = start_worker("second")

    def done() -> bool:
        return row.get().status == ImportStatus.DONE

    assert wait_for(done, second, timeout=90), second.output()
    finished = row.get()

    # every valid row exactly once, counted once; every invalid row reported once
    valid = {f"c{n}@example.com" for n in range(ROWS) if n % INVALID_EVERY != INVALID_EVERY - 1}
    emails = Counter(Contact.objects.filter(program=program).values_list("email", flat=True))
    assert set(emails) == valid and set(emails.values()) == {1}
    assert (finished.new_count, finished.updated_count) == (len(valid), 0)
    assert finished.invalid_count == ROWS // INVALID_EVERY
    assert finished.rows_done == finished.total_rows == ROWS
    assert finished.started_at < killed_at.heartbeat_at < finished.finished_at
    with finished.error_file.open("rb") as handle:
        lines = handle.read().decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [
        f"broken-{n}" for n in range(INVALID_EVERY - 1, ROWS, INVALID_EVERY)
    ]
    assert AuditEvent.objects.filter(action="contacts.imported").count() == 1
    assert "contact import" in second.output()
