"""Orders dated in whole seconds by the shop's clock, placed in the same second as the
friend's claim, are attributed: ``PARRAIN_ORDER_CLOCK_SKEW`` (default 5 minutes) absorbs the
truncation and a small clock difference; an order dated well before the claim is not.

Each platform's own timestamp format: Shopify (local time with its offset, no fraction),
WooCommerce (``*_gmt`` without an offset, no fraction), Saleor (ISO with offset) and the
generic endpoint (ISO ``Z``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parrain.core.models import AuditEvent, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee

from . import test_inbound_generic as generic_tests
from . import test_inbound_saleor as saleor_tests
from . import test_inbound_shopify as shopify_tests
from . import test_inbound_woocommerce as woo_tests
from .conftest import fixture_json

pytestmark = pytest.mark.django_db

# The claim happens at 11:00:00.700 UTC; the shop dates the order 11:00:00, i.e. "before".
CLAIM_AT = datetime(2026, 12, 3, 11, 0, 0, 700_000, tzinfo=UTC)
SAME_SECOND_OR_TEN_MINUTES_BEFORE = pytest.mark.parametrize(
    "before, attributed", [(timedelta(0), True), (timedelta(minutes=10), False)]
)
keys = saleor_tests.keys
saleor_shop = saleor_tests.saleor_shop
saleor = saleor_tests.saleor
shopify = shopify_tests.shopify
woo = woo_tests.woo
generic = generic_tests.generic


def claim(program, email: str) -> str:
    alice = enrol_referrer(program, "alice@example.com")
    return register_referee(program, alice.code, email).reward.code


def shopify_body(code: str, placed: datetime) -> bytes:
    order = fixture_json("shopify_order_rest_fixture_with_discount_codes.json")["order"]
    order["discount_codes"][0]["code"] = code
    shop_time = placed.replace(microsecond=0).astimezone(ZoneInfo("America/New_York"))
    order["created_at"] = order["processed_at"] = shop_time.isoformat()  # "06:00:00-05:00"
    return json.dumps(order).encode()


def woo_body(code: str, placed: datetime) -> bytes:
    order = fixture_json("woocommerce_order_created.json")
    order["coupon_lines"] = [
        {"id": 320, "code": code, "discount": "5.00", "discount_tax": "0.00", "meta_data": []}
    ]
    order["date_paid_gmt"] = placed.strftime("%Y-%m-%dT%H:%M:%S")  # "2026-12-03T11:00:00"
    return json.dumps(order).encode()


def saleor_body(code: str, placed: datetime) -> bytes:
    payload = fixture_json("saleor_order_fully_paid.json")
    payload["order"]["voucherCode"] = code
    payload["order"]["created"] = placed.replace(microsecond=0).isoformat()  # "+00:00"
    return json.dumps(payload).encode()


def generic_body(code: str, placed: datetime) -> bytes:
    data = {
        "external_id": "1001",
        "email": "bob@example.org",
        "amount": "80.00",
        "currency": "USD",
        "discount_codes": [code],
        "placed_at": placed.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return generic_tests.event("order.paid", data)


@pytest.mark.parametrize(
    "before, attributed", [(timedelta(0), True), (timedelta(minutes=10), False)]
)
def test_shopify_order_in_the_claims_second(client, program, shopify, before, attributed):
    with time_machine.travel(CLAIM_AT, tick=False):
        code = claim(program, "bob.norman@hostmail.com")
        body = shopify_body(code, CLAIM_AT - before)
        response = shopify_tests.send(client, program, body, "orders/paid")
    assert_outcome(response, attributed)


@pytest.mark.parametrize(
    "before, attributed", [(timedelta(0), True), (timedelta(minutes=10), False)]
)
def test_woocommerce_order_in_the_claims_second(client, program, woo, before, attributed):
    with time_machine.travel(CLAIM_AT, tick=False):
        code = claim(program, "john.doe@example.com")
        body = woo_body(code.lower(), CLAIM_AT - before)
        response = woo_tests.send(client, program, body, "order.updated")
    assert_outcome(response, attributed)


@pytest.mark.parametrize(
    "before, attributed", [(timedelta(0), True), (timedelta(minutes=10), False)]
)
def test_saleor_order_in_the_claims_second(client, program, saleor, keys, before, attributed):
    with time_machine.travel(CLAIM_AT, tick=False):
        code = claim(program, "adrian.king@example.com")
        body = saleor_body(code, CLAIM_AT - before)
        response = saleor_tests.send(client, program, body, "order_fully_paid", keys.sign(body))
    assert_outcome(response, attributed)


@pytest.mark.parametrize(
    "before, attributed", [(timedelta(0), True), (timedelta(minutes=10), False)]
)
def test_generic_order_in_the_claims_second(client, program, generic, before, attributed):
    with time_machine.travel(CLAIM_AT, tick=False):
        code = claim(program, "bob@example.org")
        body = generic_body(code, CLAIM_AT - before)
        response = generic_tests.send(client, program, generic, body)
    assert_outcome(response, attributed)


def test_the_tolerance_is_a_setting(client, program, generic, settings):
    settings.PARRAIN_ORDER_CLOCK_SKEW = timedelta(0)
    with time_machine.travel(CLAIM_AT, tick=False):
        code = claim(program, "bob@example.org")
        response = generic_tests.send(client, program, generic, generic_body(code, CLAIM_AT))
    assert_outcome(response, False)


def assert_outcome(response, attributed: bool) -> None:
    assert response.status_code == 200, response.content
    referral = Referral.objects.get()
    if attributed:
        assert response.json()["reason"] == "order_attributed"
        assert referral.status == ReferralStatus.CONVERTED
    else:
        assert referral.status == ReferralStatus.REGISTERED
        refused = AuditEvent.objects.filter(action="order.not_attributed").values_list(
            "reason", flat=True
        )
        assert list(refused) == ["order_before_invitation"]
