"""Reward codes created in the shop itself, through its HTTP API (httpx, no vendor SDK).

``PARRAIN_FULFILMENT = {"BACKEND": "parrain.plugins.generic_webhook.fulfilment.
WooCommerceCouponBackend", "OPTIONS": {"url": …, "consumer_key": …, "consumer_secret": …}}``
or ``SaleorVoucherBackend`` with ``{"api_url": …, "token": …, "channel_id": …}``. The code is
generated here (unique per program), then created in the shop; if the shop refuses, the
reward is not issued (``FulfilmentError``, 503) and the reward task can retry.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx

from parrain.core.exceptions import FulfilmentError
from parrain.core.fulfilment.generated import GeneratedCodeBackend
from parrain.core.models.choices import RewardKind

from .http_client import UnsafeTarget, check_target, client

if TYPE_CHECKING:
    from parrain.core.models import Reward

logger = logging.getLogger("parrain.webhooks")


def _call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        check_target(url)
        response = client().request(method, url, **kwargs)
        response.raise_for_status()
    except (httpx.HTTPError, UnsafeTarget) as exc:
        raise FulfilmentError(f"The shop refused the code: {exc}") from exc
    return response


class WooCommerceCouponBackend(GeneratedCodeBackend):
    """A single-use WooCommerce coupon per reward (REST API v3, ``/wc/v3/coupons``)."""

    DISCOUNT_TYPES = {RewardKind.PERCENTAGE: "percent"}

    def _url(self, path: str) -> str:
        return f"{str(self.options['url']).rstrip('/')}/wp-json/wc/v3/{path}"

    def _auth(self) -> tuple[str, str]:
        return str(self.options["consumer_key"]), str(self.options["consumer_secret"])

    def new_code(self, reward: Reward) -> str:
        code = super().new_code(reward)
        free_shipping = reward.kind == RewardKind.FREE_SHIPPING
        coupon = {
            "code": code,
            "discount_type": self.DISCOUNT_TYPES.get(reward.kind, "fixed_cart"),
            "amount": "0" if free_shipping else str(reward.value),
            "free_shipping": free_shipping,
            "individual_use": True,
            "usage_limit": 1,
            "usage_limit_per_user": 1,
            "email_restrictions": [reward.recipient.email],
            "description": f"Parrain {reward.side} reward",
        }
        minimum = reward.terms.get("minimum_order_amount")
        if minimum and str(minimum) not in ("0", "0.00"):
            coupon["minimum_amount"] = str(minimum)
        if reward.expires_at:
            coupon["date_expires_gmt"] = reward.expires_at.strftime("%Y-%m-%dT%H:%M:%S")
        _call("POST", self._url("coupons"), json=coupon, auth=self._auth())
        return code

    def cancel_code(self, reward: Reward) -> None:
        try:
            self._delete(reward)
        except FulfilmentError:
            logger.warning("WooCommerce coupon %s could not be deleted", reward.code, exc_info=True)

    def _delete(self, reward: Reward) -> None:
        if not reward.code:
            return
        found = _call("GET", self._url("coupons"), params={"code": reward.code}, auth=self._auth())
        for coupon in found.json():
            _call(
                "DELETE",
                self._url(f"coupons/{coupon['id']}"),
                params={"force": "true"},
                auth=self._auth(),
            )


PERCENT_KINDS = {RewardKind.PERCENTAGE, RewardKind.FREE_SHIPPING}  # free shipping: 100 % off it
VOUCHER_CREATE = """
mutation ParrainVoucherCreate($input: VoucherInput!) {
  voucherCreate(input: $input) { voucher { id } errors { field code message } }
}"""
VOUCHER_LISTING = """
mutation ParrainVoucherListing($id: ID!, $input: VoucherChannelListingInput!) {
  voucherChannelListingUpdate(id: $id, input: $input) { errors { field code message } }
}"""
VOUCHER_FIND = """
query ParrainVoucherFind($code: String!) {
  vouchers(first: 1, filter: {search: $code}) { edges { node { id code } } }
}"""
VOUCHER_DELETE = """
mutation ParrainVoucherDelete($id: ID!) { voucherDelete(id: $id) { errors { field message } } }
"""


class SaleorVoucherBackend(GeneratedCodeBackend):
    """A single-use Saleor voucher per reward (GraphQL ``voucherCreate``, token with
    MANAGE_DISCOUNTS), listed in one channel with the reward's value."""

    def _graphql(self, query: str, variables: dict[str, Any], result: str) -> dict[str, Any]:
        response = _call(
            "POST",
            str(self.options["api_url"]),
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.options['token']}"},
        )
        payload = response.json()
        data = (payload.get("data") or {}).get(result) or {}
        errors = payload.get("errors") or data.get("errors")
        if errors:
            raise FulfilmentError(f"Saleor refused the voucher: {errors}")
        return data

    def new_code(self, reward: Reward) -> str:
        code = super().new_code(reward)
        voucher_input: dict[str, Any] = {
            "name": f"Parrain {reward.side} {code}",
            "addCodes": [code],
            "type": "SHIPPING" if reward.kind == RewardKind.FREE_SHIPPING else "ENTIRE_ORDER",
            "discountValueType": "PERCENTAGE" if reward.kind in PERCENT_KINDS else "FIXED",
            "usageLimit": 1,
            "singleUse": True,
            "applyOncePerCustomer": True,
        }
        if reward.expires_at:
            voucher_input["endDate"] = reward.expires_at.isoformat()
        created = self._graphql(VOUCHER_CREATE, {"input": voucher_input}, "voucherCreate")
        value = "100" if reward.kind == RewardKind.FREE_SHIPPING else str(reward.value)
        listing = {
            "addChannels": [{"channelId": self.options["channel_id"], "discountValue": value}]
        }
        self._graphql(
            VOUCHER_LISTING,
            {"id": created["voucher"]["id"], "input": listing},
            "voucherChannelListingUpdate",
        )
        return code

    def cancel_code(self, reward: Reward) -> None:
        try:
            self._delete(reward)
        except FulfilmentError:
            logger.warning("Saleor voucher %s could not be deleted", reward.code, exc_info=True)

    def _delete(self, reward: Reward) -> None:
        if not reward.code:
            return
        found = self._graphql(VOUCHER_FIND, {"code": reward.code}, "vouchers")
        for edge in found.get("edges", []):
            if edge["node"]["code"] == reward.code:
                self._graphql(VOUCHER_DELETE, {"id": edge["node"]["id"]}, "voucherDelete")
