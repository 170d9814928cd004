"""Benchmark: orders per second through the server API and the generic inbound webhook.

    .venv/bin/python bench/orders.py [--seconds 2] [--rounds 9] [--workers 2] [--profile 0]
                                     [--profile-path api|api_bg|webhook_bg|drain]

Serves the sandbox with gunicorn (sync workers, DEBUG off) over PostgreSQL and Redis (cache,
click queue and a real Celery broker: the tasks an order queues are published, as in
production), in this run's own database and Redis prefix (``bench/_harness.py``). Three
paths record paid orders, each carrying a referrer's code and a new customer's address, so
every order opens and converts a referral:

* ``POST /api/v1/programs/{slug}/orders`` with a program key (server API);
* ``POST /webhooks/in/{slug}/generic/`` with an ``order.paid`` event signed as Standard
  Webhooks say (the reference ``standardwebhooks`` library signs it);
* the baseline: a bare Django view on the same server that parses the same JSON and
  INSERTs the same ``parrain_order`` row (``bench/_urls.py``).

Both recording paths are measured twice: as by default (the answer carries the attribution)
and with ``Prefer: respond-async`` (the order is stored at once and answered 202; a Celery
worker attributes it, docs/api.md). For the latter a real worker (one, solo pool) runs on the
run's broker during the whole measurement, competing for the same cores; each background
slice reports the rate orders were accepted and, as its own row, the rate they were
**attributed end to end**: the orders of the slice divided by the time from the slice's
start until the worker has attributed the last of them. Before every slice of every path
the worker's backlog is empty (outside the timed slice), so no path is measured while the
worker catches up with another's orders.

With 1 and 8 concurrent clients, the paths are measured in short slices, interleaved in
rotating order, round after round; the report is the median of the per-round ratios to the
baseline (target >= 0.4). At the end every order sent through the API and the webhook is
checked: stored once, and attributed to a referral. ``--profile N`` first records N orders
in-process under cProfile and prints where the time goes and the queries of one order;
``--profile-path`` picks the path (``api``, ``api_bg``, ``webhook_bg``, or ``drain``: the
worker attributing N accepted orders).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import itertools
import json
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (  # noqa: E402
    BenchRun,
    http_request,
    interleaved,
    load_average,
    measure,
    ratio_table,
    say,
)

TARGET = 0.4
SLUG = "bench-orders"
REFERRERS = 50


def seed() -> tuple[str, str, list[str]]:
    """The program, its key, an inbound endpoint and referrers: (api key, whsec, codes)."""
    from parrain.core.models import Program
    from parrain.core.services.enrolment import enrol_referrer
    from parrain.plugins.generic_webhook.models import InboundEndpoint

    program = Program.objects.create(name="Bench orders", slug=SLUG, currency="EUR")
    _, key = program.create_api_key("bench")
    endpoint = InboundEndpoint.objects.create(program=program, source="generic")
    codes = [
        enrol_referrer(program, f"referrer{n}@example.com", first_name="Ref").code
        for n in range(REFERRERS)
    ]
    return key, endpoint.secret, codes


class Orders:
    """Request makers: each call is a new order (unique id and customer)."""

    def __init__(self, port: int, key: str, secret: str, codes: list[str]) -> None:
        from standardwebhooks.webhooks import Webhook

        self.port, self.key, self.codes = port, key, codes
        self.webhook = Webhook(secret)
        self.counter = itertools.count(1)
        self.sent: dict[str, list[str]] = {kind: [] for kind in KINDS}

    def _order(self, kind: str) -> dict[str, str]:
        n = next(self.counter)
        external_id = f"{kind}-{n}"
        self.sent[kind].append(external_id)
        return {
            "external_id": external_id,
            "email": f"customer{n}@example.org",
            "amount": "80.00",
            "currency": "EUR",
            "placed_at": datetime.now(tz=UTC).isoformat(),
            "referral_code": self.codes[n % len(self.codes)],
        }

    def api(self, kind: str = "api") -> bytes:
        body = json.dumps(self._order(kind)).encode()
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        if kind == "api_bg":
            headers["Prefer"] = "respond-async"
        return http_request("POST", f"/api/v1/programs/{SLUG}/orders", self.port, headers, body)

    def api_bg(self) -> bytes:
        return self.api("api_bg")

    def webhook_(self, kind: str = "webhook") -> bytes:
        order = self._order(kind)
        now = datetime.now(tz=UTC)
        event = {"type": "order.paid", "timestamp": now.isoformat(), "data": order}
        body = json.dumps(event)
        msg_id = f"msg_{order['external_id']}"
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.webhook.sign(msg_id, now, body),
        }
        if kind == "webhook_bg":
            headers["Prefer"] = "respond-async"
        path = f"/webhooks/in/{SLUG}/generic/"
        return http_request("POST", path, self.port, headers, body.encode())

    def webhook_bg(self) -> bytes:
        return self.webhook_("webhook_bg")

    def bare(self) -> bytes:
        body = json.dumps(self._order("bare")).encode()
        headers = {"Content-Type": "application/json"}
        return http_request("POST", f"/bench/bare/orders/{SLUG}/", self.port, headers, body)


def profile(count: int, key: str, secret: str, codes: list[str], path: str = "api") -> None:
    """Record ``count`` orders in-process (Django's test client) under cProfile, through
    ``path``: ``api`` (attributed at once), ``api_bg`` or ``webhook_bg`` (accepted, 202), or
    ``drain`` (the worker's share: ``count`` accepted orders attributed by one drain)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from standardwebhooks.webhooks import Webhook

    from parrain.core.models import Program
    from parrain.core.services.orders import drain_accepted

    client, webhook = Client(), Webhook(secret)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    prefer = {"HTTP_PREFER": "respond-async"}
    unique = itertools.count()

    def post(n: int, via: str = path) -> None:
        n = next(unique)  # every order new, whatever the caller's count
        order = {
            "external_id": f"profile-{via}-{n}",
            "email": f"profiled-{via}-{n}@example.org",
            "amount": "80.00",
            "currency": "EUR",
            "placed_at": datetime.now(tz=UTC).isoformat(),
            "referral_code": codes[n % len(codes)],
        }
        if via == "webhook_bg":
            now = datetime.now(tz=UTC)
            body = json.dumps({"type": "order.paid", "timestamp": now.isoformat(), "data": order})
            msg_id = f"msg_profile_{n}"
            signed = {
                "HTTP_WEBHOOK_ID": msg_id,
                "HTTP_WEBHOOK_TIMESTAMP": str(int(now.timestamp())),
                "HTTP_WEBHOOK_SIGNATURE": webhook.sign(msg_id, now, body),
            }
            url, headers, wanted = f"/webhooks/in/{SLUG}/generic/", signed | prefer, 202
        else:
            body = json.dumps(order)
            url = f"/api/v1/programs/{SLUG}/orders"
            headers, wanted = (auth | prefer, 202) if via != "api" else (auth, 201)
        response = client.post(url, body, content_type="application/json", **headers)
        if response.status_code != wanted:
            raise SystemExit(response.content)

    program = Program.objects.get(slug=SLUG)
    via = "api_bg" if path == "drain" else path

    def run(n: int) -> None:  # what is measured: one order, or (drain) all accepted ones
        if path == "drain":
            drain_accepted(program.pk)
        else:
            post(n)

    post(0, via)
    run(0)
    for n in range(1, 1 + (count if path == "drain" else 1)):
        post(n, via)
    with connection.cursor() as cursor:  # as ``analyzed`` does before each measure
        cursor.execute(f"ANALYZE {GROWING}")
    with CaptureQueriesContext(connection) as queries:
        run(1)
    label = f"{count} orders drained" if path == "drain" else "one order"
    say(f"\n{label} ({path}): {len(queries.captured_queries)} queries")
    for query in queries.captured_queries[:60]:
        say(f"  {query['time']:>6}s  {str(query['sql'])[:110]}")
    if path == "drain":
        for n in range(count + 1, 2 * count + 1):
            post(n, via)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {GROWING}")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for n in range(2, (3 if path == "drain" else count + 2)):
        run(n)
    profiler.disable()
    elapsed = time.perf_counter() - start
    each = elapsed / count * 1000
    say(f"\ncProfile of {count} orders in-process ({path}): {each:.2f} ms an order")
    say("(cumulative, top 25)")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(25)
    say("by own time (top 15):")
    stats.sort_stats("tottime").print_stats(15)


KINDS = ("bare", "api", "webhook", "api_bg", "webhook_bg")
BACKGROUND = False  # --background: orders accepted 202 and attributed by a worker

# The tables an order writes: they grow by thousands of rows during a run.
GROWING = "parrain_contact, parrain_order, parrain_invitation, parrain_referral, parrain_auditevent"


def analyzed(make: Callable[[], float]) -> Callable[[], float]:
    """``make``, after refreshing the planner's statistics of the tables orders fill (outside
    the timed slice). Autovacuum would, on a server that runs it; this machine's PostgreSQL
    has it off, and without statistics the planner keeps the plans it chose for empty
    tables: the live-referral read then scans every referral of the program (17 ms an
    order after 1,500 orders), and the bench measured the table's growth, not the code."""
    from django.db import connection

    def run() -> float:
        drained()  # no path is measured while the worker catches up (background paths)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {GROWING}")
        return make()

    return run


def pending() -> int:
    """Orders of the bench's program accepted and not attributed yet."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parrain_order WHERE intake IS NOT NULL")
        return cursor.fetchone()[0]


def drained(timeout: float = 900.0) -> float:
    """Wait until the worker has attributed every accepted order; the seconds it took."""
    start = time.perf_counter()
    if not BACKGROUND:
        return 0.0
    while pending():
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"{pending()} orders still pending after {timeout:.0f} s")
        time.sleep(0.01)
    return time.perf_counter() - start


def check(sent: dict[str, list[str]]) -> None:
    """Every order sent is stored once and attributed to a referral."""
    from parrain.core.models import Order

    for kind in KINDS[1:]:
        ids = sent[kind]
        if not ids:
            continue
        stored = Order.objects.filter(program__slug=SLUG, external_id__in=ids)
        attributed = stored.filter(referral__isnull=False).count()
        say(f"  {kind}: {len(ids)} sent, {stored.count()} stored, {attributed} attributed")
        if stored.count() != len(ids) or attributed != len(ids):
            raise SystemExit(f"{kind}: orders missing or not attributed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per path and round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", default="1,8", help="concurrent clients, comma-separated")
    parser.add_argument("--profile", type=int, default=0, help="orders profiled in-process")
    parser.add_argument(
        "--profile-path",
        choices=("api", "api_bg", "webhook_bg", "drain"),
        default="api",
        help="what --profile records: an order at once, accepted (202), or drained",
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="the Celery worker's processes (1: solo)"
    )
    parser.add_argument(
        "--background",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure Prefer: respond-async with a real Celery worker",
    )
    args = parser.parse_args()
    global BACKGROUND  # noqa: PLW0603
    BACKGROUND = args.background

    with BenchRun("orders", broker=True) as run:
        run.setup_django()
        key, secret, codes = seed()
        if args.profile:
            profile(args.profile, key, secret, codes, args.profile_path)
        say(load_average())
        worker = run.worker(args.concurrency) if args.background else contextlib.nullcontext()
        with run.serve(workers=args.workers) as port, worker:
            orders = Orders(port, key, secret, codes)
            for clients in (int(c) for c in args.clients.split(",")):
                end_to_end: dict[str, list[float]] = {}

                def path(make, clients=clients):  # noqa: ANN001, ANN202
                    return analyzed(lambda: measure(port, make, args.seconds, clients, {200, 201}))

                def background(name, kind, make, clients=clients, end_to_end=end_to_end):  # noqa: ANN001, ANN202
                    """Accepted per second; the slice's orders attributed end to end too."""

                    def run_slice() -> float:
                        before, start = len(orders.sent[kind]), time.perf_counter()
                        rate = measure(port, make, args.seconds, clients, {202})
                        drained()
                        elapsed = time.perf_counter() - start
                        count = len(orders.sent[kind]) - before
                        end_to_end.setdefault(name, []).append(count / elapsed)
                        return rate

                    return analyzed(run_slice)

                paths = {
                    "bare view (INSERT)": path(orders.bare),
                    "server API": path(orders.api),
                    "generic webhook": path(orders.webhook_),
                }
                if args.background:
                    paths["server API, 202 accepted"] = background(
                        "server API, 202 → attributed", "api_bg", orders.api_bg
                    )
                    paths["generic webhook, 202 accepted"] = background(
                        "generic webhook, 202 → attributed", "webhook_bg", orders.webhook_bg
                    )
                for make in paths.values():  # warm the workers up
                    make()
                end_to_end.clear()
                rates = interleaved(paths, args.rounds)
                rates.update(end_to_end)
                pool = "solo" if args.concurrency == 1 else f"prefork, {args.concurrency} processes"
                say(
                    f"\n{clients} client(s), gunicorn {args.workers} sync workers"
                    + (f", 1 Celery worker ({pool})" if args.background else "")
                    + f", {args.rounds} rounds of {args.seconds:g} s; target >= {TARGET}"
                )
                ratio_table(rates, "bare view (INSERT)", TARGET)
        say(load_average())
        check(orders.sent)


if __name__ == "__main__":
    main()
