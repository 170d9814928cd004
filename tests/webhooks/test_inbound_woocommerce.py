"""WooCommerce: the REST API resources as webhook bodies, signed as WooCommerce does
(base64 HMAC-SHA256 of the raw body with the webhook's secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core.models import Contact, Order, Referral, Refund
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee
from parrain.plugins.generic_webhook.models import HANDLED, InboundDelivery, Result

from .conftest import endpoint, fixture_bytes, fixture_json, inbound_url, post

pytestmark = pytest.mark.django_db
SECRET = "wc-secret-6f1b0c2a9e"


@pytest.fixture
def woo(program):
    return endpoint(program, "woocommerce", secret=SECRET)


def wc_headers(body: bytes, topic: str, delivery: str = "65b40399296c791a3f26a8c7283d9ce7") -> dict:
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    resource, _, event = topic.partition(".")
    return {
        "X-WC-Webhook-Source": "https://boutique.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": signature,
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": delivery,
    }


def send(client, program, body: bytes, topic: str, delivery: str = "d1"):
    return post(
        client, inbound_url(program, "woocommerce"), body, **wc_headers(body, topic, delivery)
    )


def test_creation_ping_is_answered_200_and_not_stored(client, program, woo):
    # WooCommerce saves a new webhook only if this unsigned ping gets a 200 (WC_Webhook::
    # deliver_ping posts "webhook_id=<id>", form-encoded, with no signature)
    response = post(
        client,
        inbound_url(program, "woocommerce"),
        b"webhook_id=12",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.json()["reason"] == "ping"
    assert not InboundDelivery.objects.exists()


def test_ping_to_an_unknown_program_is_a_404(client, program, woo):
    response = post(
        client,
        "/webhooks/in/nope/woocommerce/",
        b"webhook_id=12",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 404
    assert not InboundDelivery.objects.exists()


def test_replay_under_a_fresh_delivery_id_is_a_duplicate(client, program, woo):
    body = fixture_bytes("woocommerce_order_created.json")
    assert send(client, program, body, "order.updated", delivery="d1").status_code == 200
    again = send(client, program, body, "order.updated", delivery="forged-d2")
    assert again.status_code == 200
    assert again.json()["result"] == Result.DUPLICATE
    assert InboundDelivery.objects.filter(result__in=HANDLED).count() == 1


def test_guest_order_sample_is_recorded(client, program, woo):
    body = fixture_bytes("woocommerce_order_created.json")
    response = send(client, program, body, "order.created")
    assert response.status_code == 200, response.content
    order = Order.objects.get()
    assert (order.external_id, order.amount) == ("727", Decimal("29.35"))
    assert order.contact.email == "john.doe@example.com"
    assert order.contact.external_id is None  # customer_id 0: a guest


def test_coupon_line_with_the_welcome_code_attributes_the_order(client, program, woo):
    alice = enrol_referrer(program, "alice@example.com")
    welcome = register_referee(program, alice.code, "john.doe@example.com").reward
    order = fixture_json("woocommerce_order_created.json")
    order["coupon_lines"] = [
        {
            "id": 320,
            "code": welcome.code.lower(),
            "discount": "5.00",
            "discount_tax": "0.00",
            "meta_data": [],
        }
    ]
    paid_at = timezone.now() + timedelta(minutes=1)  # WooCommerce dates have no microseconds
    order["date_paid_gmt"] = paid_at.strftime("%Y-%m-%dT%H:%M:%S")
    response = send(client, program, json.dumps(order).encode(), "order.updated")
    assert response.json()["reason"] == "order_attributed"
    assert Referral.objects.get().status == ReferralStatus.CONVERTED


def test_order_updated_with_refunds_records_each_refund_once(client, program, woo):
    body = fixture_bytes("woocommerce_order_completed_with_refunds.json")
    assert send(client, program, body, "order.updated", "d1").status_code == 200
    assert send(client, program, body, "order.updated", "d2").status_code == 200  # a later update
    refunds = sorted(Refund.objects.values_list("external_id", "amount"))
    assert refunds == [("wc-refund-724", Decimal("9.00")), ("wc-refund-726", Decimal("10.00"))]
    assert Order.objects.get().refunded_amount == Decimal("19.00")


def test_refunded_status_refunds_the_rest(client, program, woo):
    order = fixture_json("woocommerce_order_completed_with_refunds.json")
    send(client, program, json.dumps(order).encode(), "order.updated", "d1")
    order["status"] = "refunded"
    send(client, program, json.dumps(order).encode(), "order.updated", "d2")
    recorded = Order.objects.get()
    assert recorded.refunded_amount == recorded.amount == Decimal("39.00")


def test_pending_order_is_acknowledged_not_recorded(client, program, woo):
    order = fixture_json("woocommerce_order_created.json")
    order["status"], order["date_paid_gmt"] = "pending", None
    response = send(client, program, json.dumps(order).encode(), "order.created")
    assert response.json()["reason"] == "order_not_paid"
    assert not Order.objects.exists()


def test_wrong_signature_is_refused(client, program, woo):
    body = fixture_bytes("woocommerce_order_created.json")
    headers = wc_headers(body, "order.created")
    headers["X-WC-Webhook-Signature"] = "g84TvaZSMzTaoU8z0fwq3Jj/i1fE31vl0vWLHCx4+h4="
    assert post(client, inbound_url(program, "woocommerce"), body, **headers).status_code == 401
    assert not Order.objects.exists()


def test_duplicate_delivery_id_is_acknowledged_once(client, program, woo):
    body = fixture_bytes("woocommerce_order_created.json")
    send(client, program, body, "order.created", "same")
    assert send(client, program, body, "order.created", "same").json()["result"] == Result.DUPLICATE
    assert Order.objects.count() == 1


def test_truncated_body_is_refused(client, program, woo):
    body = fixture_bytes("woocommerce_order_created.json")
    headers = wc_headers(body, "order.created")
    assert (
        post(client, inbound_url(program, "woocommerce"), body[:-40], **headers).status_code == 401
    )


def test_wrong_content_type_is_refused(client, program, woo):
    body = fixture_bytes("woocommerce_order_created.json")
    headers = wc_headers(body, "order.created")
    response = post(
        client, inbound_url(program, "woocommerce"), body, content_type="text/xml", **headers
    )
    assert response.status_code == 415


def test_unknown_topic_is_acknowledged(client, program, woo):
    response = send(client, program, b'{"id": 5, "name": "Mug"}', "product.updated")
    assert response.json()["reason"] == "unknown_topic"
    assert not Contact.objects.exists()
