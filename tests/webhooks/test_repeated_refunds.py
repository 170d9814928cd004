"""A refund id seen before is said to be a repeat, as docs/webhooks-reference.md says
(issue 16): ``ignored / refund_already_recorded``, and nothing new is stored."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from parrain.core.models import Order, Refund

from .conftest import fixture_json
from .test_inbound_generic import event, generic  # noqa: F401  (fixture)
from .test_inbound_generic import send as send_generic
from .test_inbound_woocommerce import send as send_woo
from .test_inbound_woocommerce import woo  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_generic_refund_sent_again_under_a_new_delivery_id_is_ignored(
    client,
    program,
    generic,  # noqa: F811
):
    paid = event(
        "order.paid",
        {"external_id": "1001", "email": "bob@example.org", "amount": "80", "currency": "USD"},
    )
    send_generic(client, program, generic, paid, msg_id="msg_paid")
    refund = {"order_external_id": "1001", "refund_external_id": "r1", "amount": "10"}

    first = send_generic(client, program, generic, event("order.refunded", refund), msg_id="m1")
    again = send_generic(client, program, generic, event("order.refunded", refund), msg_id="m2")

    assert first.json()["result"] == "accepted"
    assert first.json()["reason"] == "refund_recorded"
    assert again.status_code == 200
    assert (again.json()["result"], again.json()["reason"]) == (
        "ignored",
        "refund_already_recorded",
    )
    assert Refund.objects.count() == 1
    assert Order.objects.get().refunded_amount == Decimal("10.00")


def test_woocommerce_update_repeating_known_refunds_is_ignored(client, program, woo):  # noqa: F811
    order = fixture_json("woocommerce_order_completed_with_refunds.json")
    first = send_woo(client, program, json.dumps(order).encode(), "order.updated", "d1")
    # A later update of the same order (another body, same refund lines)
    order["date_modified_gmt"] = "2031-01-01T00:00:00"
    again = send_woo(client, program, json.dumps(order).encode(), "order.updated", "d2")

    assert first.json()["reason"] == "refund_recorded"
    assert (again.json()["result"], again.json()["reason"]) == (
        "ignored",
        "refund_already_recorded",
    )
    assert Refund.objects.count() == 2
    assert Order.objects.get().refunded_amount == Decimal("19.00")
