"""Benchmark: an Oscar checkout with the Parrain plugin against the same checkout without it.

    .venv/bin/python bench/oscar_checkout.py [--rounds 60]

Runs in a PostgreSQL database and Redis prefix of its own (``bench/_harness.py``: named
after the bench, its process id and a random suffix, dropped at the end; no other database
is touched). Each round places two orders
through Oscar's real views (basket, shipping address, preview, place order, thank-you page),
one with the plugin plugged in (middleware, receivers, thank-you widget) and one with it
unplugged, in alternating order. Celery publishes to an in-memory broker, as a web node
publishes to Redis: the recording itself runs on a worker and is timed apart, for
information. Target: with / without ≤ 1.05.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import BenchRun, load_average, ratio_table, say  # noqa: E402

TARGET = 1.05


def shop() -> tuple[object, object]:
    from oscar.core.loading import get_model
    from oscar.test.factories import create_product

    from parrain.core.factories import ProgramFactory
    from parrain.core.models import Program

    Country = get_model("address", "Country")
    Country.objects.get_or_create(
        iso_3166_1_a2="FR",
        defaults={"printable_name": "France", "name": "France", "is_shipping_country": True},
    )
    program = Program.objects.filter(slug="maison-lumiere").first() or ProgramFactory(
        slug="maison-lumiere", name="Maison Lumière"
    )
    product = create_product(price=Decimal("42.00"), num_in_stock=1_000_000, title="Bougie")
    return program, product


def new_customer() -> object:
    from oscar.test.factories import UserFactory

    stamp = time.time_ns()
    return UserFactory(username=f"bench-{stamp}", email=f"bench-{stamp}@example.com")


class Side:
    """One persistent test client per side; the "without" one is built without the plugin's
    middleware, and runs with the receivers unplugged and the thank-you widget off."""

    def __init__(self, enabled: bool) -> None:
        from django.conf import settings
        from django.test import Client, override_settings

        self.enabled = enabled
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        middleware = [m for m in settings.MIDDLEWARE if enabled or "parrain" not in m]
        with override_settings(MIDDLEWARE=middleware):
            self.client.get("/shop/basket/")  # builds this client's middleware chain

    @contextmanager
    def plugged(self) -> Iterator[None]:
        from parrain.plugins.oscar import receivers
        from parrain.plugins.oscar.templatetags import parrain_oscar

        if self.enabled:
            yield
            return
        receivers.disconnect()
        shop_program, parrain_oscar.shop_program = parrain_oscar.shop_program, lambda: None
        try:
            yield
        finally:
            parrain_oscar.shop_program = shop_program
            receivers.connect()

    def checkout(self, product: object) -> tuple[float, float, int]:
        """One new customer's whole checkout: wall time, CPU time of this process, queries."""
        from django.db import connection

        from tests.oscar.shop import Shopper

        self.client.force_login(new_customer())
        shopper = Shopper(self.client)
        queries = [0]

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            queries[0] += 1
            return execute(sql, params, many, context)

        with self.plugged(), connection.execute_wrapper(count):
            wall, cpu = time.perf_counter(), time.process_time()
            shopper.add_to_basket(product)
            shopper.checkout()
            return time.perf_counter() - wall, time.process_time() - cpu, queries[0]


def timed_worker(program: object) -> float:
    """The work the plugin hands to Celery, run here once per order placed with it."""
    from oscar.core.loading import get_model

    from parrain.core.models import Order
    from parrain.plugins.oscar.sync import record_order_of

    known = set(Order.objects.filter(program=program).values_list("external_id", flat=True))
    todo = (
        get_model("order", "Order").objects.exclude(number__in=known).values_list("pk", flat=True)
    )
    ids = list(todo)
    started = time.perf_counter()
    for pk in ids:
        record_order_of(pk)
    return (time.perf_counter() - started) / max(len(ids), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    # memory:// broker: the plugin's tasks are published, as to a real broker, never run.
    with BenchRun("oscar_checkout", memory_broker=True) as run:
        run.setup_django()
        say(load_average())
        compare(args.rounds)
        say(load_average())


def compare(rounds: int) -> None:
    program, product = shop()
    sides = {True: Side(True), False: Side(False)}
    runs: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
    for _ in range(3):  # warm caches, templates, connections
        sides[True].checkout(product), sides[False].checkout(product)
    for n in range(rounds):
        for enabled in (True, False) if n % 2 == 0 else (False, True):
            runs[enabled].append(sides[enabled].checkout(product))
    say(f"\n{rounds} rounds of one checkout per side (new customer each), in alternating order")
    for index, label, scale in (
        (0, "wall time (ms)", 1000),
        (1, "CPU time of the web process (ms)", 1000),
        (2, "SQL queries", 1),
    ):
        say(f"{label}, target with / without <= {TARGET}" if index == 0 else label)
        ratio_table(
            {
                "without the plugin": [run[index] * scale for run in runs[False]],
                "with the plugin": [run[index] * scale for run in runs[True]],
            },
            "without the plugin",
            TARGET if index == 0 else None,
            unit="",
            at_most=True,
            digits=1,
        )
    say(f"worker: record an order {timed_worker(program) * 1000:8.1f} ms (off the checkout)")


if __name__ == "__main__":
    main()
