"""Benchmark: what a webhook costs on top of the service it calls, side by side.

    .venv/bin/python bench/webhooks.py [--orders 500] [--messages 300]

Inbound: the same paid orders recorded (1) by calling ``record_order`` directly, (2) through
the generic endpoint (Standard Webhooks signature, delivery stored) and (3) through the
Shopify endpoint (HMAC, pydantic parsing of Shopify's order). Outbound: events delivered to
a receiver thread on loopback (signed, attempt logged) against a bare ``httpx.post`` of the
same body. Runs on an in-memory SQLite database with the ``tests.only_webhooks`` settings;
nothing is written anywhere.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PARRAIN_TEST_DB"] = "sqlite"
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.only_webhooks.settings"

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from standardwebhooks.webhooks import Webhook  # noqa: E402

from parrain.core.models import Program  # noqa: E402
from parrain.core.services.orders import OrderData, record_order  # noqa: E402
from parrain.plugins.generic_webhook.models import (  # noqa: E402
    InboundEndpoint,
    OutboundEndpoint,
)
from parrain.plugins.generic_webhook.outbound import delivery  # noqa: E402
from parrain.plugins.generic_webhook.outbound.receivers import emit  # noqa: E402
from tests.webhooks.receiver import running_receiver  # noqa: E402

SHOPIFY_SECRET = "bench-shopify-secret"


def per_item_ms(started: float, count: int) -> float:
    return (time.perf_counter() - started) * 1000 / count


def bench_inbound(orders: int) -> list[tuple[str, float]]:
    program = Program.objects.create(name="Bench", slug="bench", currency="USD")
    generic = InboundEndpoint.objects.create(program=program, source="generic")
    InboundEndpoint.objects.create(program=program, source="shopify", secret=SHOPIFY_SECRET)
    shopify_order = json.loads(
        (ROOT / "tests/webhooks/fixtures/shopify_orders_paid.json").read_text()
    )
    client = Client()

    started = time.perf_counter()
    for n in range(orders):
        record_order(
            program,
            OrderData(
                external_id=f"d{n}", email=f"d{n}@example.org", amount=Decimal("40"), currency="USD"
            ),
        )
    direct = per_item_ms(started, orders)

    webhook = Webhook(generic.secret)
    started = time.perf_counter()
    for n in range(orders):
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
    generic_ms = per_item_ms(started, orders)

    started = time.perf_counter()
    for n in range(orders):
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
    shopify_ms = per_item_ms(started, orders)
    return [
        ("record_order() direct", direct),
        ("generic webhook", generic_ms),
        ("Shopify webhook", shopify_ms),
    ]


def bench_outbound(messages: int) -> list[tuple[str, float]]:
    program = Program.objects.get(slug="bench")
    with running_receiver() as receiver:
        url = f"{receiver.url}/hook"
        OutboundEndpoint.objects.create(program=program, url=url)
        data = {"id": 1, "code": "PRN-BENCH", "value": "10.00"}
        body = json.dumps({"type": "reward.issued", "timestamp": "x", "data": data}).encode()
        with httpx.Client() as http:
            started = time.perf_counter()
            for _ in range(messages):
                http.post(url, content=body, headers={"content-type": "application/json"})
            bare = per_item_ms(started, messages)
        started = time.perf_counter()
        for _ in range(messages):
            message = emit(program, "reward.issued", data)[0]
            delivery.attempt(message.pk)
        signed = per_item_ms(started, messages)
    return [("bare httpx.post", bare), ("signed delivery + attempt log", signed)]


def table(title: str, rows: list[tuple[str, float]]) -> None:
    base = rows[0][1]
    print(f"\n{title}")
    print(f"  {'path':34} {'ms each':>9} {'ratio':>7}")
    for name, ms in rows:
        print(f"  {name:34} {ms:9.2f} {ms / base:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    table(f"Inbound, {args.orders} paid orders each", bench_inbound(args.orders))
    table(f"Outbound, {args.messages} events", bench_outbound(args.messages))


if __name__ == "__main__":
    main()
