"""Reward codes created in the shop itself, through its HTTP API (httpx, no vendor SDK).

``PARRAIN_FULFILMENT = {"BACKEND": "parrain.plugins.generic_webhook.fulfilment.
WooCommerceCouponBackend", "OPTIONS": {"url": …, "consumer_key": …, "consumer_secret": …}}``
or ``SaleorVoucherBackend`` with ``{"api_url": …, "token": …, "channel_id": …}``.

Both are remote backends (decision record 0003): the code is generated here (unique per
program) and committed with a pending reward, then ``push`` creates it in the shop with no
transaction or row lock held. ``push`` is idempotent on that code: when the shop answers
that the code already exists, the existing coupon is looked up and accepted if this reward
created it (a retry after a timeout or a crash), refused otherwise. A refusal raises
``FulfilmentError``; the reward stays pending and the task retries with the same code.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from parrain.core.exceptions import FulfilmentError
from parrain.core.fulfilment.generated import GeneratedCodeBackend
from parrain.core.models.choices import RewardKind

from .http_client import UnsafeTarget, check_target, client

if TYPE_CHECKING:
    from parrain.core.models import Reward

logger = logging.getLogger("parrain.webhooks")


def _request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        check_target(url)
        return client().request(method, url, **kwargs)
    except (httpx.HTTPError, UnsafeTarget) as exc:
        raise FulfilmentError(f"The shop could not be reached: {exc}") from exc


def _raise_for_status(response: httpx.Response) -> httpx.Response:
    try:
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise FulfilmentError(f"The shop refused the code: {exc}") from exc
    return response


def _call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    return _raise_for_status(_request(method, url, **kwargs))


def reward_marker(reward: Reward) -> str:
    """What tells our coupon from one made by hand with the same code."""
    return f"parrain:{reward.program_id}:{reward.pk}"


class WooCommerceCouponBackend(GeneratedCodeBackend):
    """A single-use WooCommerce coupon per reward (REST API v3, ``/wc/v3/coupons``)."""

    remote: ClassVar[bool] = True
    DISCOUNT_TYPES = {RewardKind.PERCENTAGE: "percent"}
    ALREADY_EXISTS = "woocommerce_rest_coupon_code_already_exists"
    MARKER_KEY = "parrain_reward"

    def _url(self, path: str) -> str:
        return f"{str(self.options['url']).rstrip('/')}/wp-json/wc/v3/{path}"

    def _auth(self) -> tuple[str, str]:
        return str(self.options["consumer_key"]), str(self.options["consumer_secret"])

    def coupon(self, reward: Reward) -> dict[str, Any]:
        if not reward.code:
            raise FulfilmentError("a coupon is created with the code decided before the call")
        free_shipping = reward.kind == RewardKind.FREE_SHIPPING
        coupon: dict[str, Any] = {
            "code": reward.code,
            "discount_type": self.DISCOUNT_TYPES.get(reward.kind, "fixed_cart"),
            "amount": "0" if free_shipping else str(reward.value),
            "free_shipping": free_shipping,
            "individual_use": True,
            "usage_limit": 1,
            "usage_limit_per_user": 1,
            "email_restrictions": [reward.recipient.email],
            "description": f"Parrain {reward.side} reward",
            "meta_data": [{"key": self.MARKER_KEY, "value": reward_marker(reward)}],
        }
        minimum = reward.terms.get("minimum_order_amount")
        if minimum and str(minimum) not in ("0", "0.00"):
            coupon["minimum_amount"] = str(minimum)
        if reward.expires_at:
            coupon["date_expires_gmt"] = reward.expires_at.strftime("%Y-%m-%dT%H:%M:%S")
        return coupon

    def push(self, reward: Reward) -> None:
        response = _request(
            "POST", self._url("coupons"), json=self.coupon(reward), auth=self._auth()
        )
        if response.status_code == 400 and _error_code(response) == self.ALREADY_EXISTS:
            self._accept_existing(reward)
            return
        _raise_for_status(response)

    def _accept_existing(self, reward: Reward) -> None:
        for coupon in self._find(reward):
            marks = {m.get("key"): m.get("value") for m in coupon.get("meta_data") or []}
            if marks.get(self.MARKER_KEY) == reward_marker(reward):
                return
        raise FulfilmentError(
            f"WooCommerce already has a coupon {reward.code!r} that Parrain did not create."
        )

    def _find(self, reward: Reward) -> list[dict[str, Any]]:
        found = _call("GET", self._url("coupons"), params={"code": reward.code}, auth=self._auth())
        code = str(reward.code).lower()
        return [c for c in found.json() if str(c.get("code", "")).lower() == code]

    def cancel_code(self, reward: Reward) -> None:
        try:
            self._delete(reward)
        except FulfilmentError:
            logger.warning("WooCommerce coupon %s could not be deleted", reward.code, exc_info=True)

    def _delete(self, reward: Reward) -> None:
        if not reward.code:
            return
        for coupon in self._find(reward):
            _call(
                "DELETE",
                self._url(f"coupons/{coupon['id']}"),
                params={"force": "true"},
                auth=self._auth(),
            )


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", ""))
    except (ValueError, AttributeError):
        return ""


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
  vouchers(first: 10, filter: {search: $code}) { edges { node { id name code } } }
}"""
VOUCHER_DELETE = """
mutation ParrainVoucherDelete($id: ID!) {
  voucherDelete(id: $id) { errors { field code message } }
}"""


class SaleorVoucherBackend(GeneratedCodeBackend):
    """A single-use Saleor voucher per reward (GraphQL ``voucherCreate``, token with
    MANAGE_DISCOUNTS), listed in one channel with the reward's value."""

    remote: ClassVar[bool] = True

    def _graphql(self, query: str, variables: dict[str, Any], result: str) -> dict[str, Any]:
        """The ``result`` field of the answer, with its ``errors`` list left to the caller."""
        response = _call(
            "POST",
            str(self.options["api_url"]),
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.options['token']}"},
        )
        payload = response.json()
        if payload.get("errors"):
            raise FulfilmentError(f"Saleor refused the request: {payload['errors']}")
        return (payload.get("data") or {}).get(result) or {}

    def _mutate(self, query: str, variables: dict[str, Any], result: str) -> dict[str, Any]:
        data = self._graphql(query, variables, result)
        if data.get("errors"):
            raise FulfilmentError(f"Saleor refused the voucher: {data['errors']}")
        return data

    @staticmethod
    def voucher_name(reward: Reward) -> str:
        return f"Parrain {reward.side} {reward.code}"

    def voucher_input(self, reward: Reward) -> dict[str, Any]:
        voucher_input: dict[str, Any] = {
            "name": self.voucher_name(reward),
            "addCodes": [reward.code],
            "type": "SHIPPING" if reward.kind == RewardKind.FREE_SHIPPING else "ENTIRE_ORDER",
            "discountValueType": "PERCENTAGE" if reward.kind in PERCENT_KINDS else "FIXED",
            "usageLimit": 1,
            "singleUse": True,
            "applyOncePerCustomer": True,
        }
        if reward.expires_at:
            voucher_input["endDate"] = reward.expires_at.isoformat()
        return voucher_input

    def push(self, reward: Reward) -> None:
        voucher_id = self._create(reward) or self._ours(reward)
        value = "100" if reward.kind == RewardKind.FREE_SHIPPING else str(reward.value)
        listing = {
            "addChannels": [{"channelId": self.options["channel_id"], "discountValue": value}]
        }
        self._mutate(
            VOUCHER_LISTING, {"id": voucher_id, "input": listing}, "voucherChannelListingUpdate"
        )

    def _create(self, reward: Reward) -> str | None:
        """The new voucher's id, or None when the code exists already (a retry)."""
        created = self._graphql(
            VOUCHER_CREATE, {"input": self.voucher_input(reward)}, "voucherCreate"
        )
        errors = created.get("errors") or []
        if errors and all(error.get("code") == "ALREADY_EXISTS" for error in errors):
            return None
        if errors or not created.get("voucher"):
            raise FulfilmentError(f"Saleor refused the voucher: {errors}")
        return str(created["voucher"]["id"])

    def _find(self, reward: Reward) -> list[dict[str, Any]]:
        found = self._graphql(VOUCHER_FIND, {"code": reward.code}, "vouchers")
        nodes = [edge["node"] for edge in found.get("edges") or []]
        return [node for node in nodes if node.get("code") == reward.code]

    def _ours(self, reward: Reward) -> str:
        for node in self._find(reward):
            if node.get("name") == self.voucher_name(reward):
                return str(node["id"])
        raise FulfilmentError(
            f"Saleor already has a voucher {reward.code!r} that Parrain did not create."
        )

    def cancel_code(self, reward: Reward) -> None:
        try:
            self._delete(reward)
        except FulfilmentError:
            logger.warning("Saleor voucher %s could not be deleted", reward.code, exc_info=True)

    def _delete(self, reward: Reward) -> None:
        if not reward.code:
            return
        for node in self._find(reward):
            self._mutate(VOUCHER_DELETE, {"id": node["id"]}, "voucherDelete")
