"""Shopify: the published sample payloads, signed as Shopify documents (base64 HMAC-SHA256
of the raw body with the app's client secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core.models import Contact, Order, Referral, Refund
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee
from parrain.plugins.generic_webhook.models import HANDLED, InboundDelivery, Result

from .conftest import endpoint, fixture_bytes, fixture_json, inbound_url, last_delivery, post

pytestmark = pytest.mark.django_db
SECRET = "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"


@pytest.fixture
def shopify(program):
    return endpoint(program, "shopify", secret=SECRET)


def shopify_headers(
    body: bytes, topic: str, webhook_id: str = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", **extra: str
) -> dict:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
        "X-Shopify-Shop-Domain": "boutique.myshopify.com",
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Triggered-At": datetime.now(tz=UTC).isoformat(),
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    }
    headers.update(extra)
    return headers


def send(client, program, body: bytes, topic: str, **extra: str):
    return post(
        client, inbound_url(program, "shopify"), body, **shopify_headers(body, topic, **extra)
    )


def test_orders_paid_sample_is_recorded_with_its_big_id_intact(client, program, shopify):
    body = fixture_bytes("shopify_orders_paid.json")
    response = send(client, program, body, "orders/paid")
    assert response.status_code == 200, response.content
    order = Order.objects.get(program=program)
    assert order.external_id == "820982911946154508"  # above 2**53, not rounded
    assert order.amount == Decimal("404.95")
    assert order.contact.email == "jon@example.com"
    assert Contact.objects.get(external_id="115310627314723954") == order.contact


def test_order_with_our_welcome_code_in_discount_codes_is_attributed(client, program, shopify):
    alice = enrol_referrer(program, "alice@example.com")
    welcome = register_referee(program, alice.code, "bob.norman@hostmail.com").reward
    # Shopify's own order fixture with a filled discount code, as a webhook body (the bare
    # order), dated now and carrying Bob's welcome code instead of TENOFF.
    order = fixture_json("shopify_order_rest_fixture_with_discount_codes.json")["order"]
    assert order["discount_codes"][0]["code"] == "TENOFF"
    order["discount_codes"][0]["code"] = welcome.code
    order["created_at"] = order["processed_at"] = timezone.now().isoformat()
    body = json.dumps(order).encode()
    response = send(client, program, body, "orders/paid")
    assert response.json()["reason"] == "order_attributed"
    assert Referral.objects.get().status == ReferralStatus.CONVERTED
    assert Order.objects.get().external_id == "450789469"


def test_share_link_code_on_the_landing_site_attributes_the_order(client, program, shopify):
    alice = enrol_referrer(program, "alice@example.com")
    order = fixture_json("shopify_orders_paid.json")
    order["landing_site"] = f"/pages/parrainage?parrain={alice.code}"
    order["processed_at"] = timezone.now().isoformat()
    body = json.dumps(order).encode()
    assert send(client, program, body, "orders/paid").json()["reason"] == "order_attributed"
    assert Referral.objects.get().referrer == alice.contact


def test_customers_create_sample_creates_the_contact(client, program, shopify):
    body = fixture_bytes("shopify_customers_create.json")
    assert send(client, program, body, "customers/create").status_code == 200
    contact = Contact.objects.get(program=program, external_id="706405506930370084")
    assert contact.email == "bob@biller.com"


def test_refunds_create_sample_refunds_the_order(client, program, shopify):
    send(client, program, fixture_bytes("shopify_orders_paid.json"), "orders/paid", webhook_id="w1")
    response = send(
        client,
        program,
        fixture_bytes("shopify_refunds_create.json"),
        "refunds/create",
        webhook_id="w2",
    )
    assert response.json()["reason"] == "refund_recorded"
    refund = Refund.objects.get()
    assert refund.external_id == "890088186047892319"
    assert refund.amount == Decimal("85.00")  # the two successful refund transactions


def test_refund_of_an_order_never_recorded_is_acknowledged(client, program, shopify):
    response = send(client, program, fixture_bytes("shopify_refunds_create.json"), "refunds/create")
    assert response.status_code == 200
    assert response.json()["reason"] == "order_not_recorded"


def test_wrong_signature_is_refused(client, program, shopify):
    body = fixture_bytes("shopify_orders_paid.json")
    headers = shopify_headers(body, "orders/paid")
    headers["X-Shopify-Hmac-Sha256"] = base64.b64encode(b"x" * 32).decode()
    response = post(client, inbound_url(program, "shopify"), body, **headers)
    assert response.status_code == 401
    assert not Order.objects.exists()


def test_secret_of_another_app_is_refused(client, program):
    endpoint(program, "shopify", secret="shpss_another")
    body = fixture_bytes("shopify_orders_paid.json")
    assert send(client, program, body, "orders/paid").status_code == 401


def test_stale_triggered_at_is_refused(client, program, shopify):
    body = fixture_bytes("shopify_orders_paid.json")
    old = (datetime.now(tz=UTC) - timedelta(hours=49)).isoformat()
    response = send(client, program, body, "orders/paid", **{"X-Shopify-Triggered-At": old})
    assert response.status_code == 400
    assert response.json()["reason"] == "stale_timestamp"


def test_same_webhook_id_twice_is_a_duplicate(client, program, shopify):
    body = fixture_bytes("shopify_orders_paid.json")
    send(client, program, body, "orders/paid")
    again = send(client, program, body, "orders/paid")
    assert again.status_code == 200 and again.json()["result"] == Result.DUPLICATE
    assert Order.objects.count() == 1


def test_replay_under_a_fresh_webhook_id_is_a_duplicate(client, program, shopify):
    # X-Shopify-Webhook-Id and X-Shopify-Triggered-At are not signed: whoever saw one signed
    # orders/paid body can send it again under new ones
    body = fixture_bytes("shopify_orders_paid.json")
    first = send(client, program, body, "orders/paid", webhook_id="w-1")
    assert first.json()["result"] == Result.ACCEPTED
    replay = send(client, program, body, "orders/paid", webhook_id="w-forged-2")
    assert replay.status_code == 200
    assert replay.json()["result"] == Result.DUPLICATE
    assert Order.objects.count() == 1
    assert InboundDelivery.objects.filter(result__in=HANDLED).count() == 1


def test_a_paid_order_replayed_as_orders_cancelled_cancels_nothing(client, program, shopify):
    # X-Shopify-Topic is not signed either: the body of a live order (cancelled_at null)
    # sent again under orders/cancelled must not refund it
    alice = enrol_referrer(program, "alice@example.com")
    welcome = register_referee(program, alice.code, "bob.norman@hostmail.com").reward
    order = fixture_json("shopify_order_rest_fixture_with_discount_codes.json")["order"]
    order["discount_codes"][0]["code"] = welcome.code
    order["created_at"] = order["processed_at"] = timezone.now().isoformat()
    order["cancelled_at"] = None
    body = json.dumps(order).encode()
    assert send(client, program, body, "orders/paid", webhook_id="w-1").status_code == 200
    replay = send(client, program, body, "orders/cancelled", webhook_id="w-2")
    assert replay.status_code == 200
    assert replay.json()["reason"] == "order_not_cancelled"
    assert Referral.objects.get().status == ReferralStatus.CONVERTED
    assert not Refund.objects.exists()
    # a real cancellation says so in its body
    order["cancelled_at"] = order["updated_at"] = datetime.now(tz=UTC).isoformat()
    cancelled = json.dumps(order).encode()
    assert send(client, program, cancelled, "orders/cancelled", webhook_id="w-3").status_code == 200
    assert Referral.objects.get().status == ReferralStatus.CANCELLED


def test_truncated_body_is_refused(client, program, shopify):
    body = fixture_bytes("shopify_orders_paid.json")
    headers = shopify_headers(body, "orders/paid")
    assert post(client, inbound_url(program, "shopify"), body[:500], **headers).status_code == 401


def test_form_encoded_body_is_refused(client, program, shopify):
    body = b"id=1"
    headers = shopify_headers(body, "orders/paid")
    response = post(
        client,
        inbound_url(program, "shopify"),
        body,
        content_type="application/x-www-form-urlencoded",
        **headers,
    )
    assert response.status_code == 415


def test_unknown_topic_is_acknowledged(client, program, shopify):
    body = fixture_bytes("shopify_customers_create.json")
    response = send(client, program, body, "customers/update")
    assert response.status_code == 200
    assert response.json()["reason"] == "unknown_topic"
    assert last_delivery().topic == "customers/update"
    assert not Contact.objects.exists()
