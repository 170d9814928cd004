"""The standalone service started as docs/deploy.md says, driven only over HTTP.

A fresh PostgreSQL database (unique name, dropped after) and this checkout's Redis
database under a key prefix of the run's own; ``django-admin migrate`` and
``collectstatic``; the guide's first-program block, run as written; then gunicorn with two
workers, a Celery worker and beat, all on loopback and from a folder outside the
checkout (no ``sandbox``, no ``tests`` on the path). A referral goes from enrolment to
reward over HTTP: the shop's server enrols Alice and she invites Bob (server API), Bob
claims his welcome offer (public API, from the shop's page origin), the shop records his
order, the validation sweep runs through the worker, and Alice's referral is rewarded.
Health, readiness, metrics and the widget's gzip copy are checked on the way.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.services import IN_CI, PG_ADDR, REDIS_ADDR, REDIS_TEST_URL, reachable

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
SHOP_ORIGIN = "https://shop.example"  # the guide's allowed_origins
METRICS_TOKEN = secrets.token_urlsafe(24)


def first_program_block() -> str:
    """The shell commands of the guide's "create a program" block, as written there."""
    block = GUIDE.split("<!-- first-program")[1].split("<!-- end first-program -->")[0]
    return block.split("```sh\n", 1)[1].rsplit("```", 1)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    folder: Path
    env: dict[str, str]
    url: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def admin(self, *args: str, stdin: str | None = None) -> str:
        """``django-admin …`` (or another command of the guide) in the service's environment."""
        run = subprocess.run(
            args,
            cwd=self.folder,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, f"{' '.join(args)}:\n{run.stdout}\n{run.stderr}"
        return run.stdout

    def start(self, name: str, *command: str) -> None:
        log = (self.folder / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def eventually(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if result := check():
                return result
        except (httpx.HTTPError, AssertionError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.3)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    missing = [
        f"{name} on {addr[0]}:{addr[1]}"
        for name, addr in (("PostgreSQL", PG_ADDR), ("Redis", REDIS_ADDR))
        if not reachable(addr)
    ]
    if missing:
        message = f"the standalone service test needs {' and '.join(missing)}"
        if IN_CI:
            pytest.fail(f"{message} (required when CI=true)")
        pytest.skip(message)
    import psycopg
    import redis

    database = f"parrain_standalone_{os.getpid()}_{secrets.token_hex(4)}"
    prefix = f"parrain-test-{secrets.token_hex(6)}:"
    user = os.environ.get("PGUSER", "postgres")
    admin_dsn = f"host={PG_ADDR[0]} port={PG_ADDR[1]} user={user} dbname=postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    port = free_port()
    (tmp_path / "metrics").mkdir()
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        # the guide's environment
        "DJANGO_SETTINGS_MODULE": "parrain.standalone.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PARRAIN_BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"postgres://{user}@{PG_ADDR[0]}:{PG_ADDR[1]}/{database}",
        "REDIS_URL": REDIS_TEST_URL,
        "REDIS_KEY_PREFIX": prefix,
        "EMAIL_URL": "console://",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PARRAIN_METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    running = Service(folder=tmp_path, env=env, url=f"http://127.0.0.1:{port}")
    try:
        yield running
    finally:
        running.stop()
        for name in running.processes:  # shown when the test failed
            print(
                f"==== {name}.log (last lines)\n" + "\n".join(running.log(name).splitlines()[-40:])
            )
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        client = redis.Redis.from_url(REDIS_TEST_URL)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def metric(text: str, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_the_guide_starts_a_service_that_runs_a_referral_over_http(service: Service) -> None:
    # Setting up, as the guide says: tables, the first program and its keys.
    service.admin("django-admin", "migrate", "--no-input")
    # Worker and beat need only the tables: started first, beat's 30 s clock runs meanwhile.
    started = time.monotonic()
    service.start(
        "worker", "celery", "-A", "parrain.standalone", "worker", "--concurrency", "2",
        "--loglevel", "INFO", "--hostname", f"worker-{os.getpid()}@%h",
    )  # fmt: skip
    service.start(
        "beat", "celery", "-A", "parrain.standalone", "beat", "--loglevel", "INFO",
        "--schedule", str(service.folder / "celerybeat-schedule"),
    )  # fmt: skip
    printed = service.admin("bash", "-e", stdin=first_program_block())
    public_key = re.search(r"public key: (\S+)", printed).group(1)
    secret_key = re.search(r"secret key: (\S+)", printed).group(1)
    # This shop validates referrals at once (no return period), so one sweep rewards.
    service.admin(
        "django-admin",
        "shell",
        "-c",
        "from parrain.core.models import Program;"
        "from parrain.core.services.program_setup import update_program;"
        "update_program(Program.objects.get(slug='myshop'), {'validation_delay_days': 0},"
        " actor='setup')",
    )
    service.admin("django-admin", "collectstatic", "--no-input")
    port = service.url.rsplit(":", 1)[1]
    service.start(
        "web", "gunicorn", "parrain.standalone.wsgi",
        "-c", "python:parrain.standalone.gunicorn_conf",
        "--bind", f"127.0.0.1:{port}", "--workers", "2",
    )  # fmt: skip

    http = httpx.Client(base_url=service.url, timeout=10)
    eventually(lambda: http.get("/healthz").status_code == 200, 30, "gunicorn answering")
    health = http.get("/healthz")
    assert health.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    ready = http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "static": "ok"}

    # The shop's server enrols Alice; she invites Bob.
    api = {"Authorization": f"Bearer {secret_key}"}
    enrolled = http.post(
        "/api/v1/programs/myshop/referrers",
        json={"email": "alice@example.com", "first_name": "Alice"},
        headers=api,
    )
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.headers["X-Request-ID"]
    code = enrolled.json()["code"]
    invited = http.post(
        "/api/v1/programs/myshop/invitations",
        json={"referrer_code": code, "emails": ["bob@example.org"]},
        headers=api,
    )
    assert invited.json()["results"][0]["invited"] is True, invited.text

    # Bob claims his welcome offer on the shop's page (public API, the page's origin).
    claimed = http.post(
        f"/api/v1/public/{public_key}/claims",
        json={"code": code, "email": "bob@example.org", "consent": True},
        headers={"Origin": SHOP_ORIGIN},
    )
    assert claimed.status_code == 200, claimed.text
    assert claimed.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    welcome = claimed.json()["welcome"]["code"]

    # His first order, with the welcome code, converts the referral.
    order = http.post(
        "/api/v1/programs/myshop/orders",
        json={
            "external_id": "A-1001",
            "email": "bob@example.org",
            "amount": "80.00",
            "currency": "EUR",
            "welcome_code": welcome,
        },
        headers=api,
    )
    assert order.status_code == 201, order.text
    assert order.json()["attribution"] is not None

    # The validation sweep, run through the worker; the reward follows on the worker.
    service.admin(
        "celery", "-A", "parrain.standalone", "call", "parrain.core.tasks.validate_due_referrals"
    )

    def rewarded() -> dict | None:
        items = http.get("/api/v1/programs/myshop/referrals", headers=api).json()["items"]
        return items[0] if items and items[0]["status"] == "rewarded" else None

    referral = eventually(rewarded, 30, "the referral rewarded by the worker")
    assert referral["referrer"]["code"] == code
    assert referral["rewarded_at"] and referral["validated_at"]

    # The widget is served precompressed: gzip when asked, smaller.
    raw = http.get("/static/parrain/widget.js", headers={"Accept-Encoding": "identity"})
    zipped = http.get("/static/parrain/widget.js", headers={"Accept-Encoding": "gzip"})
    assert raw.status_code == zipped.status_code == 200
    assert "content-encoding" not in raw.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert int(zipped.headers["Content-Length"]) < int(raw.headers["Content-Length"]) / 2
    assert zipped.text == raw.text

    # Metrics: only with the token; requests counted by route, tasks by the worker's
    # processes, summed across every process sharing PROMETHEUS_MULTIPROC_DIR.
    assert http.get("/metrics").status_code == 401
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}

    def scraped_tasks() -> str | None:
        text = http.get("/metrics", headers=auth).text
        reward = "parrain.core.tasks.issue_referrer_reward"
        done = metric(text, "parrain_celery_tasks_total", task=reward, state="succeeded")
        return text if done >= 1 else None

    text = eventually(scraped_tasks, 20, "the reward task counted")
    orders = metric(
        text,
        "parrain_http_requests_total",
        route="api/v1/programs/<slug>/orders",
        method="POST",
        status="201",
    )
    assert orders == 1
    assert metric(text, "parrain_http_requests_total", route="healthz", status="200") >= 2
    assert metric(text, "parrain_http_request_duration_seconds_count", route="readyz") >= 1
    sweep = "parrain.core.tasks.validate_due_referrals"
    # At least ours: the beat also runs the sweep every quarter hour (08:30:00 fell inside
    # a CI run and counted 2).
    assert metric(text, "parrain_celery_tasks_total", task=sweep, state="succeeded") >= 1
    assert "parrain_celery_queue_length" in text

    # Beat queues the periodic tasks on time: the webhook retry sweep every 30 s.
    retry = "parrain.plugins.generic_webhook.tasks.retry_due_webhooks"
    eventually(
        lambda: metric(http.get("/metrics", headers=auth).text, "parrain_celery_tasks_total",
                       task=retry, state="succeeded") >= 1,
        max(5.0, 45 - (time.monotonic() - started)),
        "beat's first retry sweep, run by the worker",
    )  # fmt: skip

    # Every line of every process is JSON; requests carry their id.
    web_log = service.log("web")
    assert f'"request_id": "{enrolled.headers["X-Request-ID"]}"' in web_log
    assert '"route": "api/v1/programs/<slug>/orders", "status": 201' in web_log
    assert '"logger": "parrain.task", "message": "task succeeded"' in service.log("worker")
