"""Benchmark: what a webhook costs on top of the service it calls, side by side.

    .venv/bin/python bench/webhooks.py [--orders 500] [--messages 300]

Inbound: paid orders recorded (1) by calling ``record_order`` directly (the baseline),
(2) through the generic endpoint (Standard Webhooks signature, delivery stored) and (3)
through the Shopify endpoint (HMAC, pydantic parsing of Shopify's order). Outbound: events
delivered to a receiver thread on loopback (signed, attempt logged) against a bare
``httpx.post`` of the same body (the baseline). Each path runs in ``--rounds`` slices,
interleaved with its baseline in an order rotating from round to round; the report is the
median time of each and the median of the per-round ratios to the baseline. Runs on an
in-memory SQLite database with the ``tests.only_webhooks`` settings through
``bench/_harness.py``, with their in-process cache (no Redis); nothing is written anywhere.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._harness import BenchRun, interleaved, load_average, ratio_table, say  # noqa: E402

SHOPIFY_SECRET = "bench-shopify-secret"


def bench_inbound(orders: int, rounds: int) -> dict[str, list[float]]:
    from django.test import Client
    from standardwebhooks.webhooks import Webhook

    from parrain.core.models import Program
    from parrain.core.services.orders import OrderData, record_order
    from parrain.plugins.generic_webhook.models import InboundEndpoint

    program = Program.objects.create(name="Bench", slug="bench", currency="USD")
    generic = InboundEndpoint.objects.create(program=program, source="generic")
    InboundEndpoint.objects.create(program=program, source="shopify", secret=SHOPIFY_SECRET)
    shopify_order = json.loads(
        (ROOT / "tests/webhooks/fixtures/shopify_orders_paid.json").read_text()
    )
    client = Client()
    webhook = Webhook(generic.secret)
    numbers = itertools.count()

    def direct() -> None:
        n = next(numbers)
        record_order(
            program,
            OrderData(
                external_id=f"d{n}", email=f"d{n}@example.org", amount=Decimal("40"), currency="USD"
            ),
        )

    def generic_hook() -> None:
        n = next(numbers)
        body = json.dumps(
            {
                "type": "order.paid",
                "data": {
                    "external_id": f"g{n}",
                    "email": f"g{n}@example.org",
                    "amount": "40",
                    "currency": "USD",
                },
            }
        )
        now = datetime.now(tz=UTC)
        headers = {
            "webhook-id": f"msg_g{n}",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": webhook.sign(f"msg_g{n}", now, body),
        }
        response = client.post(
            "/webhooks/in/bench/generic/", body, "application/json", headers=headers
        )
        assert response.status_code == 200, response.content

    def shopify() -> None:
        n = next(numbers)
        shopify_order["id"] = 10**18 + n
        shopify_order["email"] = f"s{n}@example.org"
        body = json.dumps(shopify_order).encode()
        digest = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest())
        headers = {
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Hmac-Sha256": digest.decode(),
            "X-Shopify-Webhook-Id": f"w{n}",
        }
        response = client.post(
            "/webhooks/in/bench/shopify/", body, "application/json", headers=headers
        )
        assert response.status_code == 200, response.content

    per_slice = max(1, orders // rounds)
    return interleaved(
        {
            "record_order() direct": lambda: per_item_ms(direct, per_slice),
            "generic webhook": lambda: per_item_ms(generic_hook, per_slice),
            "Shopify webhook": lambda: per_item_ms(shopify, per_slice),
        },
        rounds,
    )


def bench_outbound(messages: int, rounds: int) -> dict[str, list[float]]:
    import httpx

    from parrain.core.models import Program
    from parrain.plugins.generic_webhook.models import OutboundEndpoint
    from parrain.plugins.generic_webhook.outbound import delivery
    from parrain.plugins.generic_webhook.outbound.receivers import emit
    from tests.webhooks.receiver import running_receiver

    program = Program.objects.get(slug="bench")
    per_slice = max(1, messages // rounds)
    with running_receiver() as receiver:
        url = f"{receiver.url}/hook"
        OutboundEndpoint.objects.create(program=program, url=url)
        data = {"id": 1, "code": "PRN-BENCH", "value": "10.00"}
        body = json.dumps({"type": "reward.issued", "timestamp": "x", "data": data}).encode()
        with httpx.Client() as http:

            def bare() -> None:
                http.post(url, content=body, headers={"content-type": "application/json"})

            def signed() -> None:
                message = emit(program, "reward.issued", data)[0]
                delivery.attempt(message.pk)

            return interleaved(
                {
                    "bare httpx.post": lambda: per_item_ms(bare, per_slice),
                    "signed delivery + attempt log": lambda: per_item_ms(signed, per_slice),
                },
                rounds,
            )


def per_item_ms(work: Callable[[], None], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        work()
    return (time.perf_counter() - started) * 1000 / count


def table(title: str, times: dict[str, list[float]]) -> None:
    say(f"\n{title}")
    ratio_table(times, next(iter(times)), None, unit=" ms", at_most=True, digits=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500, help="per path, over all rounds")
    parser.add_argument("--messages", type=int, default=300, help="per path, over all rounds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with BenchRun(
        "webhooks", base="tests.only_webhooks.settings", postgres=False, redis=False
    ) as run:
        run.setup_django()
        say(load_average())
        inbound = bench_inbound(args.orders, args.rounds)
        table(f"Inbound, {args.orders} paid orders per path (ms each)", inbound)
        outbound = bench_outbound(args.messages, args.rounds)
        table(f"Outbound, {args.messages} events per path (ms each)", outbound)
        say(load_average())


if __name__ == "__main__":
    main()
