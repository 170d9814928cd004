"""Order events accepted in the background (``Prefer: respond-async`` or the setting
``PARRAIN_ORDERS_IN_BACKGROUND``): 202 ``order_queued``, attributed by the drain; refunds
keep their synchronous answers, and attribute a pending order first."""

# The presets' fixtures are imported from their own test modules, then named as arguments.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest

from parrain.core.models import Order, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import drain_accepted
from parrain.plugins.generic_webhook.models import Result

from .conftest import fixture_bytes, last_delivery
from .test_inbound_generic import event, generic, send  # noqa: F401 (fixture)
from .test_inbound_saleor import keys, saleor, saleor_shop  # noqa: F401 (fixtures)
from .test_inbound_saleor import send as saleor_send
from .test_inbound_shopify import send as shopify_send
from .test_inbound_shopify import shopify  # noqa: F401 (fixture)
from .test_inbound_woocommerce import send as woo_send
from .test_inbound_woocommerce import woo  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

PREFER = {"Prefer": "respond-async"}


def _paid(external_id: str = "1001", code: str = "", amount: str = "80.00") -> bytes:
    return event(
        "order.paid",
        {
            "external_id": external_id,
            "email": "bob@example.org",
            "amount": amount,
            "currency": "USD",
            "referral_code": code,
        },
    )


def test_an_order_with_prefer_respond_async_is_queued_then_attributed(
    client, program, generic, django_capture_on_commit_callbacks
):
    code = enrol_referrer(program, "alice@example.com").code
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, program, generic, _paid(code=code), **PREFER)
    assert response.status_code == 202, response.content
    assert response["Preference-Applied"] == "respond-async"
    assert response.json()["result"] == "accepted"
    assert response.json()["reason"] == "order_queued"
    delivery = last_delivery()
    assert (delivery.status_code, delivery.reason) == (202, "order_queued")
    # The drain ran after the commit (eager Celery): attributed.
    order = Order.objects.get(program=program)
    assert order.intake is None and order.referral.status == ReferralStatus.CONVERTED


@pytest.mark.postgres  # SQLite has no INSERT in a WITH clause: two statements there
def test_a_queued_order_and_its_delivery_are_one_statement(client, program, generic):
    """The claim writes the queued outcome and carries the order's insert: one statement
    writes both, no savepoint or UPDATE around it (issue 16 §5)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = send(client, program, generic, _paid(), **PREFER)
    assert response.status_code == 202
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert len(writes) == 1, writes
    assert "parrain_webhooks_inbounddelivery" in writes[0] and "parrain_order" in writes[0]
    delivery = last_delivery()
    assert (delivery.result, delivery.reason, delivery.status_code) == (
        Result.ACCEPTED,
        "order_queued",
        202,
    )
    assert delivery.message in ("Attributed in the background.", "Attribuée en arrière-plan.")
    assert Order.objects.get(program=program).is_pending


def test_a_repeated_delivery_stores_no_second_order(client, program, generic):
    send(client, program, generic, _paid(), **PREFER)
    again = send(client, program, generic, _paid(), **PREFER)  # the same webhook-id
    assert again.status_code == 200
    assert (again.json()["result"], again.json()["reason"]) == (Result.DUPLICATE, "already_handled")
    assert Order.objects.filter(program=program).count() == 1


def test_a_delivery_ignored_before_any_write_is_still_logged(client, program, generic):
    """An ``order.paid`` refused by its content stores nothing, and is retried in full."""
    wrong = event(
        "order.paid",
        {"external_id": "9", "email": "bob@example.org", "amount": "8.00", "currency": "EUR"},
    )
    response = send(client, program, generic, wrong, **PREFER)
    assert response.status_code == 422, response.content
    assert not Order.objects.filter(program=program).exists()
    fixed = send(client, program, generic, _paid("9"), **PREFER)  # same webhook-id, fixed
    assert fixed.status_code == 202, fixed.content
    assert Order.objects.filter(program=program).count() == 1


def test_a_replay_and_a_refund_under_the_header_store_their_own_outcome(client, program, generic):
    """The claim's presumed outcome is replaced when the event is not a queued order."""
    send(client, program, generic, _paid(), **PREFER)
    send(client, program, generic, _paid(), msg_id="msg_2", **PREFER)
    replay = last_delivery()
    assert (replay.result, replay.reason, replay.status_code, replay.message) == (
        Result.IGNORED,
        "order_already_recorded",
        200,
        "",
    )
    refund = event("order.refunded", {"order_external_id": "1001", "refund_external_id": "r1"})
    send(client, program, generic, refund, msg_id="msg_r", **PREFER)
    stored = last_delivery()
    assert (stored.result, stored.reason, stored.status_code) == (
        Result.ACCEPTED,
        "refund_recorded",
        200,
    )


def test_the_setting_queues_orders_of_platforms_that_send_no_header(
    client, program, generic, settings
):
    settings.PARRAIN_ORDERS_IN_BACKGROUND = True
    response = send(client, program, generic, _paid())
    assert response.status_code == 202
    assert "Preference-Applied" not in response
    assert Order.objects.get(program=program).is_pending  # no commit in this test
    drain_accepted(program.pk)
    assert not Order.objects.get(program=program).is_pending


def test_without_header_or_setting_nothing_changes(client, program, generic):
    response = send(client, program, generic, _paid())
    assert response.status_code == 200
    assert response.json()["reason"] == "order_recorded"
    assert not Order.objects.get(program=program).is_pending


def test_a_replay_of_a_queued_order_is_ignored_as_before(client, program, generic):
    send(client, program, generic, _paid(), **PREFER)
    again = send(client, program, generic, _paid(), msg_id="msg_2", **PREFER)
    assert again.status_code == 200
    assert again.json()["result"] == Result.IGNORED
    assert again.json()["reason"] == "order_already_recorded"
    assert Order.objects.filter(program=program).count() == 1


def test_a_refund_of_a_queued_order_attributes_it_then_refunds(client, program, generic):
    code = enrol_referrer(program, "alice@example.com").code
    send(client, program, generic, _paid(code=code), **PREFER)
    refund = event("order.refunded", {"order_external_id": "1001", "refund_external_id": "r1"})
    response = send(client, program, generic, refund, msg_id="msg_r", **PREFER)
    assert response.status_code == 200, response.content
    assert response.json()["reason"] == "refund_recorded"
    order = Order.objects.get(program=program)
    assert order.intake is None and order.refunded_amount == 80
    assert Referral.objects.get(program=program).status == ReferralStatus.CANCELLED


def test_bad_input_with_the_header_is_refused_and_nothing_stored(client, program, generic):
    body = event("order.paid", {"external_id": "1001", "amount": "80.00", "currency": "EUR"})
    response = send(client, program, generic, body, **PREFER)
    assert response.status_code == 422, response.content
    assert not Order.objects.exists()


def test_shopify_orders_are_queued_with_the_header(client, program, shopify):
    body = fixture_bytes("shopify_orders_paid.json")
    response = shopify_send(client, program, body, "orders/paid", **PREFER)
    assert response.status_code == 202, response.content
    assert response.json()["reason"] == "order_queued"
    drain_accepted(program.pk)
    order = Order.objects.get(program=program)
    assert order.contact.email == "jon@example.com" and order.intake is None


def test_woocommerce_orders_are_queued_by_the_setting(client, program, woo, settings):
    settings.PARRAIN_ORDERS_IN_BACKGROUND = True
    order = json.loads(fixture_bytes("woocommerce_order_created.json"))
    order["status"] = "processing"
    order["refunds"] = []
    response = woo_send(client, program, json.dumps(order).encode(), "order.updated")
    assert response.status_code == 202, response.content
    assert response.json()["reason"] == "order_queued"
    assert Order.objects.get(program=program).is_pending
    drain_accepted(program.pk)
    assert not Order.objects.get(program=program).is_pending


def test_saleor_orders_are_queued_by_the_setting(client, program, saleor, keys, settings):
    settings.PARRAIN_ORDERS_IN_BACKGROUND = True
    body = fixture_bytes("saleor_order_fully_paid.json")
    response = saleor_send(client, program, body, "order_fully_paid", keys.sign(body))
    assert response.status_code == 202, response.content
    assert response.json()["reason"] == "order_queued"
    drain_accepted(program.pk)
    assert not Order.objects.get(program=program).is_pending
