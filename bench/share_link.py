"""Benchmark: the share link ``/r/<code>`` and the widget configuration against a bare view.

    .venv/bin/python bench/share_link.py [--seconds 1.5] [--rounds 12] [--workers 2]

Serves the sandbox with gunicorn on 127.0.0.1 (sync workers, DEBUG off) over the local
PostgreSQL, in its own database ``parrain_bench_widget`` (created afresh and migrated on each
run) with persistent connections, and the cache in Redis when it is reachable (as in
production: rate-limit counters and the configuration cache are shared by the workers, and
share-link clicks are queued there by ``PARRAIN_SHARE_CLICK_BUFFER``, then flushed).
The rate limits are raised so the benchmark measures their cost without being refused.
The three URLs are loaded in short slices, in a rotating order, by one asyncio client
holding ``--concurrency`` connections, so a change of load on the machine weighs on all
three alike. Prints requests per second and
the ratio to the bare view (target >= 0.7). Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "parrain_bench_widget"
PG = "host=127.0.0.1 port=5432 user=postgres"
REDIS = ("127.0.0.1", 6379)
TARGET = 0.7
ORIGIN = "http://127.0.0.1:8000"
SETTINGS = """
from sandbox.settings import *  # noqa: F403
from sandbox.settings import DATABASES

DEBUG = False
DATABASES["default"]["CONN_MAX_AGE"] = 600  # persistent connections, as in production
PARRAIN_PUBLIC_RATE_LIMITS = {{
    scope: (10**9, 60) for scope in ("ip", "ip_write", "share_link")
}}
if {use_redis}:
    PARRAIN_SHARE_CLICK_BUFFER = "redis://127.0.0.1:6379/7"  # clicks queued, then flushed
    CACHES = {{
        "default": {{
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/7",
            "KEY_PREFIX": "parrain-bench",
        }}
    }}
"""


def say(message: str) -> None:
    print(message, flush=True)


def reachable(addr: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(addr, timeout=1):
            return True
    except OSError:
        return False


def ensure_database() -> None:
    with psycopg.connect(f"{PG} dbname=test", autocommit=True) as conn:
        # A fresh database each run: small, and never left behind by a changed migration.
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
        say(f"created database {DB_NAME}")


def prepare(settings_dir: Path) -> tuple[str, str]:
    """Migrate, then make the bench program and referrer; returns (public key, code)."""
    sys.path[:0] = [str(settings_dir), str(ROOT)]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from parrain.core.models import Program
    from parrain.core.services.enrolment import enrol_referrer

    program, _ = Program.objects.update_or_create(
        slug="bench-widget",
        defaults={
            "name": "Bench widget",
            "landing_url": f"{ORIGIN}/widgets/",
            "allowed_origins": [ORIGIN],
        },
    )
    enrolment = enrol_referrer(program, "bench-referrer@example.com", first_name="Bench")
    return program.public_key, enrolment.code


def request_bytes(path: str, port: int) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Origin: {ORIGIN}",
        "Accept: application/json",
        "Connection: close",
        "",
        "",
    ]
    return "\r\n".join(lines).encode()


async def _one(port: int, raw: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    head = await reader.read()
    writer.close()
    return int(head[9:12])


async def _load(port: int, raw: bytes, seconds: float, concurrency: int) -> tuple[int, int]:
    deadline = time.perf_counter() + seconds
    done = failed = 0

    async def client(expected: set[int]) -> None:
        nonlocal done, failed
        while time.perf_counter() < deadline:
            status = await _one(port, raw)
            done += 1
            failed += status not in expected

    await asyncio.gather(*(client({200, 302}) for _ in range(concurrency)))
    return done, failed


def measure(port: int, path: str, seconds: float, concurrency: int) -> tuple[int, float]:
    """Requests answered and seconds taken."""
    raw = request_bytes(path, port)
    start = time.perf_counter()
    done, failed = asyncio.run(_load(port, raw, seconds, concurrency))
    if failed:
        raise SystemExit(f"{failed} of {done} requests to {path} failed")
    return done, time.perf_counter() - start


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reachable(("127.0.0.1", port)):
            return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="per URL and round")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    ensure_database()
    use_redis = reachable(REDIS)
    settings_dir = Path(tempfile.mkdtemp(prefix="parrain-bench-"))
    (settings_dir / "bench_widget_settings.py").write_text(SETTINGS.format(use_redis=use_redis))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_widget_settings",
        "PARRAIN_DB": "postgres",
        "PGDATABASE": DB_NAME,
        "PARRAIN_BASE_URL": ORIGIN,
        "PYTHONPATH": os.pathsep.join([str(settings_dir), str(ROOT)]),
    }
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "PARRAIN_DB", "PGDATABASE")})
    key, code = prepare(settings_dir)
    from parrain.core.models import ShareClick
    from parrain.core.services.clicks import flush_clicks

    flush_clicks()  # leftovers of an interrupted run
    clicks_before = ShareClick.objects.count()
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "sandbox.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(args.workers), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_for(port)
        say(
            f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; "
            f"{args.concurrency} connections; {args.rounds} slices of {args.seconds:g} s per URL; "
            f"cache: {'Redis' if use_redis else 'local memory'}"
        )
        paths = {
            "bare view": "/bench/bare/",
            "share link /r/<code>": f"/r/{code}",
            "widget config": f"/api/v1/public/{key}/config?lang=fr",
        }
        warm = {name: measure(port, path, 1, args.concurrency)[0] for name, path in paths.items()}
        totals = {name: [0, 0.0] for name in paths}
        order = list(paths)
        for round_ in range(args.rounds):
            # short slices in a rotating order: a load change on the machine hits all three
            for name in order[round_ % 3 :] + order[: round_ % 3]:
                done, seconds = measure(port, paths[name], args.seconds, args.concurrency)
                totals[name][0] += done
                totals[name][1] += seconds
    finally:
        server.terminate()
        server.wait(timeout=30)
    flush_clicks()  # what the flush_share_clicks task does every minute in production
    clicks = ShareClick.objects.count() - clicks_before
    rates = {name: done / seconds for name, (done, seconds) in totals.items()}
    bare = rates["bare view"]
    say(f"{'URL':<24}{'req/s':>10}{'ratio':>9}")
    for name, rate in rates.items():
        verdict = "" if name == "bare view" else ("  ok" if rate / bare >= TARGET else "  BELOW")
        say(f"{name:<24}{rate:>10.0f}{rate / bare:>9.2f}{verdict}")
    buffered = "queued in Redis, then flushed" if use_redis else "written at once"
    answered = warm["share link /r/<code>"] + totals["share link /r/<code>"][0]
    say(f"target: ratio >= {TARGET}")
    say(f"share links answered: {answered}; clicks recorded ({buffered}): {clicks}")


if __name__ == "__main__":
    main()
