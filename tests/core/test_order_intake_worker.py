"""Orders accepted over the server API with ``Prefer: respond-async``, attributed by a real
Celery worker consuming from Redis (the fixtures of tests/core/test_celery_worker.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Order, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from sandbox.celery_app import app

from .test_celery_worker import redis_broker, redis_worker, wait_for  # noqa: F401

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _post(client: Client, slug: str, key: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(
        f"/api/v1/programs/{slug}/orders",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        **headers,
    )


def _order(n: int, code: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "external_id": f"W-{n}",
        "email": f"friend{n}@example.org",
        "amount": "50.00",
        "currency": "EUR",
        "referral_code": code,
        **extra,
    }


def _world() -> tuple[Any, str, str]:
    cache.clear()
    program = ProgramFactory()
    _, key = program.create_api_key("worker test")
    code = enrol_referrer(program, "alice@example.com").code
    return program, key, code


def test_twenty_accepted_orders_are_attributed_by_the_worker_in_id_order(
    redis_worker,  # noqa: F811
) -> None:
    program, key, code = _world()
    client = Client()
    for n in range(20):
        response = _post(client, program.slug, key, _order(n, code), HTTP_PREFER="respond-async")
        assert response.status_code == 202, response.content
        assert response.json()["pending"] is True
    # Bad input with the header: a 422, nothing stored.
    refused = _post(
        client, program.slug, key, _order(99, code, currency="USD"), HTTP_PREFER="respond-async"
    )
    assert refused.status_code == 422
    assert not Order.objects.filter(program=program, external_id="W-99").exists()

    assert wait_for(
        lambda: not Order.objects.filter(program=program, intake__isnull=False).exists(), 60
    ), "the worker left orders pending"
    orders = list(Order.objects.filter(program=program).order_by("pk"))
    assert len(orders) == 20
    assert all(o.referral_id and o.contact_id for o in orders)
    # The referrer's monthly reward cap holds the orders past it for review, as it does
    # synchronous ones: exactly the cap converts. Different friends' orders fall in
    # different drain slots (``orders.drain_slot``), so which ones convert follows the
    # slots' order, not the orders' ids (one friend's orders keep theirs: test_order_drains).
    statuses = [Referral.objects.get(pk=o.referral_id).status for o in orders]
    assert program.monthly_reward_cap and statuses.count(ReferralStatus.CONVERTED) == (
        program.monthly_reward_cap
    )
    assert statuses.count(ReferralStatus.REVIEW) == 20 - program.monthly_reward_cap
    written = AuditEvent.objects.filter(
        program=program, action__in=("referral.attributed", "referral.held")
    ).values_list("order_id", flat=True)
    assert sorted(written) == [o.pk for o in orders]  # one decision per order
    first_converted = orders[statuses.index(ReferralStatus.CONVERTED)]
    polled = client.get(
        f"/api/v1/programs/{program.slug}/orders/{first_converted.external_id}",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert polled.json()["attribution"]["status"] == "converted"


def test_a_refund_of_an_order_the_worker_has_not_attributed_yet(
    redis_broker,  # noqa: F811
) -> None:
    program, key, code = _world()
    client = Client()
    response = _post(client, program.slug, key, _order(1, code), HTTP_PREFER="respond-async")
    assert response.status_code == 202
    assert Order.objects.get(program=program).is_pending  # no worker yet: queued in Redis
    refund = client.post(
        f"/api/v1/programs/{program.slug}/orders/W-1/refunds",
        data=json.dumps({"external_id": "R-1"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert refund.status_code == 201, refund.content
    assert refund.json()["attribution"]["status"] == "cancelled"
    # The worker then finds nothing left to do for it.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert wait_for(lambda: _queue_empty(), 20)
    order = Order.objects.get(program=program)
    assert order.intake is None and order.refunded_amount == order.amount
    assert Referral.objects.get(program=program).status == ReferralStatus.CANCELLED
    assert AuditEvent.objects.filter(program=program, action="referral.attributed").count() == 1


def _queue_empty() -> bool:
    client = app.connection_for_write().default_channel.client
    return client.llen("celery") == 0
