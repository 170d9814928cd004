"""Reward codes created in the shop through its API: a fake WooCommerce and a fake Saleor
run on loopback and record what Parrain asked for."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from parrain.core.exceptions import FulfilmentError
from parrain.core.models import Reward
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee
from parrain.core.services.rewards import cancel_reward

from .receiver import Answer

pytestmark = pytest.mark.django_db
WOO = "parrain.plugins.generic_webhook.fulfilment.WooCommerceCouponBackend"
SALEOR = "parrain.plugins.generic_webhook.fulfilment.SaleorVoucherBackend"


def as_json(data: object, status: int = 200) -> Answer:
    return Answer(status, {"content-type": "application/json"}, json.dumps(data).encode())


@pytest.fixture
def woocommerce(receiver, settings):
    settings.PARRAIN_FULFILMENT = {
        "BACKEND": WOO,
        "OPTIONS": {"url": receiver.url, "consumer_key": "ck_1", "consumer_secret": "cs_1"},
    }

    def shop(request):
        path = urlsplit(request.path).path
        if request.method == "POST" and path == "/wp-json/wc/v3/coupons":
            return as_json({"id": 99, **request.json()}, 201)
        if request.method == "GET" and path == "/wp-json/wc/v3/coupons":
            return as_json([{"id": 99, "code": parse_qs(urlsplit(request.path).query)["code"][0]}])
        if request.method == "DELETE" and path == "/wp-json/wc/v3/coupons/99":
            return as_json({"id": 99})
        return Answer(404)

    receiver.handler = shop
    return receiver


def test_woocommerce_coupon_is_created_for_the_welcome_offer(program, woocommerce):
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    created = woocommerce.requests[0]
    auth = base64.b64encode(b"ck_1:cs_1").decode()
    assert created.headers["authorization"] == f"Basic {auth}"
    coupon = created.json()
    assert coupon["code"] == reward.code
    assert (coupon["discount_type"], coupon["amount"]) == ("percent", "15.00")
    assert (coupon["usage_limit"], coupon["email_restrictions"]) == (1, ["bob@example.org"])
    assert coupon["date_expires_gmt"].startswith(reward.expires_at.strftime("%Y-%m-%d"))


def test_woocommerce_coupon_is_deleted_when_the_reward_is_cancelled(program, woocommerce):
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    cancel_reward(reward, "refunded")
    calls = [(r.method, urlsplit(r.path).path) for r in woocommerce.requests]
    assert calls[1:] == [("GET", "/wp-json/wc/v3/coupons"), ("DELETE", "/wp-json/wc/v3/coupons/99")]


def test_woocommerce_refusal_issues_no_reward(program, woocommerce):
    woocommerce.handler = lambda request: as_json({"code": "woocommerce_rest_cannot_create"}, 401)
    alice = enrol_referrer(program, "alice@example.com")
    with pytest.raises(FulfilmentError):
        register_referee(program, alice.code, "bob@example.org")
    assert not Reward.objects.exists()


@pytest.fixture
def saleor(receiver, settings):
    settings.PARRAIN_FULFILMENT = {
        "BACKEND": SALEOR,
        "OPTIONS": {
            "api_url": f"{receiver.url}/graphql/",
            "token": "app-token",
            "channel_id": "Q2hhbm5lbDox",
        },
    }

    def shop(request):
        query = request.json()["query"]
        if "voucherCreate" in query:
            return as_json(
                {"data": {"voucherCreate": {"voucher": {"id": "Vm91Y2hlcjo3"}, "errors": []}}}
            )
        if "voucherChannelListingUpdate" in query:
            return as_json({"data": {"voucherChannelListingUpdate": {"errors": []}}})
        return as_json({"errors": [{"message": "unexpected"}]})

    receiver.handler = shop
    return receiver


def test_saleor_voucher_is_created_and_listed_in_the_channel(program, saleor):
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    create, listing = (r.json() for r in saleor.requests)
    assert saleor.requests[0].headers["authorization"] == "Bearer app-token"
    voucher = create["variables"]["input"]
    assert voucher["addCodes"] == [reward.code]
    assert (voucher["discountValueType"], voucher["usageLimit"]) == ("PERCENTAGE", 1)
    assert listing["variables"] == {
        "id": "Vm91Y2hlcjo3",
        "input": {"addChannels": [{"channelId": "Q2hhbm5lbDox", "discountValue": "15.00"}]},
    }


def test_saleor_errors_issue_no_reward(program, saleor):
    saleor.handler = lambda request: as_json(
        {
            "data": {
                "voucherCreate": {"voucher": None, "errors": [{"field": "code", "code": "UNIQUE"}]}
            }
        }
    )
    alice = enrol_referrer(program, "alice@example.com")
    with pytest.raises(FulfilmentError):
        register_referee(program, alice.code, "bob@example.org")
    assert not Reward.objects.exists()
