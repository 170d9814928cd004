"""What every benchmark shares: its own database and Redis prefix, gunicorn, fair rounds.

Two runs on one machine must not touch each other's data, so a run

* creates a PostgreSQL database named after the bench, its process id and a random suffix
  (``parrain_bench_orders_4242_a1b2c3``), migrates it, and drops that one database at the
  end (``WITH (FORCE)`` is safe on a name nobody else can hold);
* keeps its cache entries, Celery queue and share-click queue in Redis under its own prefix
  (the same string), and deletes only the keys under that prefix at the end;
* serves the sandbox with gunicorn on a free loopback port, with a settings module written
  to a temporary folder (``DEBUG`` off, the project's own production-like settings);
* measures the baseline and the measured paths in short slices, interleaved in rotating
  order, round after round, and reports the median of the per-round ratios: a change of
  load on the machine (other jobs on the same cores) weighs on both sides of each ratio.

Usage from a bench::

    with BenchRun("orders") as run:
        run.setup_django()            # migrate, then seed with the ORM
        with run.serve(workers=2) as port:
            ...

In-process benches (Django's test client, services called directly) use the same run
without ``serve``; ``interleaved`` and ``ratio_table`` take any measure (a rate, or a cost
with ``at_most=True``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("PARRAIN_BENCH_PG", "host=127.0.0.1 port=5432 user=postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_DB = 7

# The settings gunicorn serves: the sandbox's, with DEBUG off and this run's own names.
SETTINGS = """
from {base} import *  # noqa: F403

DEBUG = False
if {sandbox}:
    ROOT_URLCONF = "bench._urls"  # the sandbox's URLs plus the bare baseline views
if {memory_broker}:
    # Tasks are published to an in-process broker and never run: the request side only.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PARRAIN_PUBLIC_RATE_LIMITS = {{
    scope: (10**9, 60) for scope in ("ip", "ip_write", "share_link")
}}
REDIS = {redis!r}
PREFIX = {prefix!r}
if REDIS:
    CACHES = {{
        "default": {{
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": PREFIX,
        }}
    }}
    PARRAIN_SHARE_CLICK_BUFFER = REDIS
    PARRAIN_SHARE_CLICK_QUEUE = PREFIX + ":share-clicks"
    if {broker}:
        # A real broker, as in production: tasks are published (no worker runs them).
        CELERY_BROKER_URL = REDIS
        CELERY_TASK_ALWAYS_EAGER = False
        CELERY_BROKER_TRANSPORT_OPTIONS = {{"global_keyprefix": PREFIX + ":"}}
{extra}
"""


def say(message: str) -> None:
    print(message, flush=True)


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


class BenchRun:
    """One run's database, Redis prefix and settings; cleaned up on exit."""

    def __init__(
        self,
        bench: str,
        *,
        broker: bool = False,
        extra_settings: str = "",
        memory_broker: bool = False,
        base: str = "sandbox.settings",
        postgres: bool = True,
        keep: bool = False,
        reuse: str = "",
        redis: bool = True,
    ) -> None:
        """``memory_broker``: Celery publishes to ``memory://`` and nothing runs the tasks
        (in-process benches measuring the request side). ``base``: the settings module the
        run's settings extend; ``postgres=False`` for a base on in-memory SQLite
        (``tests.settings`` and its kin): no database is made, the process's own is private.
        ``keep``: leave the database made for a later ``reuse`` (its name is printed);
        ``reuse``: run in that existing database and never drop it. ``redis=False``: the
        base's own cache (in-process), for benches that never used Redis."""
        self.name = reuse or f"parrain_bench_{bench}_{os.getpid()}_{secrets.token_hex(3)}"
        self.memory_broker = memory_broker
        self.base = base
        self.postgres = postgres
        self.keep = keep
        self.reuse = bool(reuse)
        self.redis_url = (
            f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
            if redis and reachable(REDIS_HOST, REDIS_PORT)
            else ""
        )
        self.prefix = self.name.replace("_", "-")
        self.broker = broker and bool(self.redis_url)
        self.extra_settings = extra_settings
        self.created = False
        self.settings_dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> BenchRun:
        redis = self.prefix if self.redis_url else "-"
        if not self.postgres:
            say(f"in-memory SQLite database; redis prefix {redis}")
        elif self.reuse:
            say(f"reusing database {self.name} (never dropped); redis prefix {redis}")
        else:
            with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.created = True
            say(f"created database {self.name}; redis prefix {redis}")
        module = self.settings_dir / f"{self.name}_settings.py"
        module.write_text(
            SETTINGS.format(
                base=self.base,
                sandbox=self.base == "sandbox.settings",
                memory_broker=self.memory_broker,
                redis=self.redis_url,
                prefix=self.prefix,
                broker=self.broker,
                extra=self.extra_settings,
            )
        )
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": module.stem,
            "PYTHONPATH": os.pathsep.join([str(self.settings_dir), str(ROOT)]),
        }
        if self.postgres:
            self.env.update(PARRAIN_DB="postgres", PGDATABASE=self.name)
        else:
            self.env["PARRAIN_TEST_DB"] = "sqlite"  # tests.settings: SQLite in memory
        self.env.pop("CELERY_BROKER_URL", None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()

    def drop(self) -> None:
        """Drop this run's database and Redis keys; nothing else."""
        if "django" in sys.modules:
            with contextlib.suppress(Exception):
                from django.db import connections

                connections.close_all()
        if self.created and self.keep:
            say(f"kept database {self.name}: rerun with --database {self.name}")
            self.created = False
        if self.created:
            with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.created = False
            say(f"dropped database {self.name}")
        if self.redis_url:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=f"*{self.prefix}*", count=1000))
            for start in range(0, len(keys), 1000):
                client.delete(*keys[start : start + 1000])

    # -- Django in this process (seeding, checking) --------------------------------------

    def migrate_apart(self) -> None:
        """Migrate this run's database in a process of its own, so that the migration's
        memory is not counted in this process's peak (the import benches measure it)."""
        command = [sys.executable, "-m", "django", "migrate", "--verbosity", "0"]
        subprocess.run(command, check=True, cwd=ROOT, env=self.env)

    def setup_django(self, migrate: bool = True) -> None:
        for key in ("DJANGO_SETTINGS_MODULE", "PARRAIN_DB", "PGDATABASE", "PARRAIN_TEST_DB"):
            if key in self.env:
                os.environ[key] = self.env[key]
        os.environ.pop("CELERY_BROKER_URL", None)
        sys.path[:0] = [str(self.settings_dir), str(ROOT)]
        import django

        django.setup()
        if migrate:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)

    # -- gunicorn ------------------------------------------------------------------------

    @contextlib.contextmanager
    def serve(self, workers: int = 2, threads: int = 1) -> Iterator[int]:
        """The sandbox under gunicorn (sync workers) on a free loopback port."""
        port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [str(gunicorn), "sandbox.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(workers), "--log-level", "warning"]
        if threads > 1:
            command += ["--threads", str(threads)]
        env = {**self.env, "PARRAIN_BASE_URL": f"http://127.0.0.1:{port}"}
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            deadline = time.monotonic() + 60
            while not reachable("127.0.0.1", port):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.2)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)

    @contextlib.contextmanager
    def worker(self, concurrency: int = 1) -> Iterator[subprocess.Popen]:
        """One Celery worker on this run's broker, as in production: a solo pool (one task
        at a time), or a prefork pool of ``concurrency`` processes; stopped (warm
        shutdown, then killed) on exit."""
        if not self.broker:
            raise SystemExit("a Celery worker needs this run's Redis broker (broker=True)")
        command = [sys.executable, "-m", "celery", "-A", "sandbox.celery_app", "worker"]
        pool = ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"-c{concurrency}"]
        command += [*pool, "--loglevel=WARNING", f"--hostname=bench-{self.prefix}@%h"]
        worker = subprocess.Popen(command, cwd=ROOT, env=self.env)
        try:
            time.sleep(1.0)
            if worker.poll() is not None:
                raise SystemExit("the Celery worker did not start")
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)


# -- load ------------------------------------------------------------------------------

Request = Callable[[], bytes]


def http_request(
    method: str, path: str, port: int, headers: dict[str, str], body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _one(port: int, raw: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return int(answer[9:12]), answer


async def _load(
    port: int, make: Request, seconds: float, concurrency: int, expected: set[int]
) -> tuple[int, list[bytes]]:
    deadline = time.perf_counter() + seconds
    done = 0
    failures: list[bytes] = []

    async def client() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            status, answer = await _one(port, make())
            done += 1
            if status not in expected:
                failures.append(answer)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done, failures


def measure(
    port: int, make: Request, seconds: float, concurrency: int, expected: set[int]
) -> float:
    """Requests per second made by ``concurrency`` clients, each waiting for its answer."""
    start = time.perf_counter()
    done, failures = asyncio.run(_load(port, make, seconds, concurrency, expected))
    if failures:
        raise SystemExit(f"{len(failures)} of {done} requests failed, e.g.\n{failures[0][:800]!r}")
    return done / (time.perf_counter() - start)


def interleaved(paths: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each path measured once per round, in an order rotating from round to round."""
    names = list(paths)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            rates[name].append(paths[name]())
    return rates


def ratio_table(
    rates: dict[str, list[float]],
    baseline: str,
    target: float | None,
    *,
    unit: str = "/s",
    at_most: bool = False,
    digits: int = 0,
) -> list[dict[str, Any]]:
    """Per path: median value, median of the per-round ratios to ``baseline``; printed.

    Values are rates by default (higher is better, the target a floor); with ``at_most``
    they are costs (seconds, milliseconds: lower is better, the target a ceiling). No
    verdict without a target."""
    rows = []
    head = f"median{unit}"
    say(f"  {'path':<34}{head:>12}{'ratio':>8}  (median of {len(rates[baseline])} rounds)")
    for name, values in rates.items():
        ratios = [value / base for value, base in zip(values, rates[baseline], strict=True)]
        ratio = statistics.median(ratios)
        met = target is None or (ratio <= target if at_most else ratio >= target)
        verdict = (
            ""
            if name == baseline or target is None
            else ("  ok" if met else "  ABOVE" if at_most else "  BELOW")
        )
        median = statistics.median(values)
        say(f"  {name:<34}{median:>12.{digits}f}{ratio:>8.2f}{verdict}")
        rows.append({"path": name, "rate": median, "ratio": ratio})
    return rows
