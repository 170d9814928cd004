"""Two copies of one delivery arriving at the same moment: handled exactly once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from standardwebhooks.webhooks import Webhook

from parrain.core.factories import ProgramFactory
from parrain.core.models import Order
from parrain.plugins.generic_webhook.models import InboundDelivery, InboundEndpoint, Result

COPIES = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("prefer", "answered"),
    [({}, 200), ({"Prefer": "respond-async"}, 202)],
    ids=["attributed-at-once", "in-the-background"],
)
def test_concurrent_copies_of_one_delivery_record_one_order(prefer, answered):
    """In the background the claim and the order are one statement, outside a transaction:
    the copies still wait for the first one's commit, and find it taken."""
    program = ProgramFactory(currency="USD", slug="boutique")
    endpoint = InboundEndpoint.objects.create(program=program, source="generic")
    body = json.dumps(
        {
            "type": "order.paid",
            "data": {
                "external_id": "9",
                "email": "z@example.org",
                "amount": "9",
                "currency": "USD",
            },
        }
    )
    now = datetime.now(tz=UTC)
    headers = {
        "webhook-id": "msg_twin",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign("msg_twin", now, body),
        **prefer,
    }
    start = threading.Barrier(COPIES)
    statuses: list[int] = []

    def deliver() -> None:
        try:
            start.wait()
            response = Client().post(
                "/webhooks/in/boutique/generic/",
                data=body,
                content_type="application/json",
                headers=headers,
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == sorted([answered] + [200] * (COPIES - 1))
    assert Order.objects.count() == 1
    results = sorted(InboundDelivery.objects.values_list("result", flat=True))
    assert results.count(Result.ACCEPTED) == 1
    assert results.count(Result.DUPLICATE) == COPIES - 1
