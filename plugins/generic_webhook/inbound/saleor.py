"""Saleor: ``Saleor-Signature``, a JWS (RS256, detached payload) checked against the shop's
JWKS, or the legacy hex HMAC-SHA256 when the webhook has a secret key.

The JWKS comes from the endpoint's configured ``saleor_api_url`` host (never from a request
header), fetched with httpx and cached; a failed fetch is remembered for a minute. Events
read (``Saleor-Event``): ``order_fully_paid``, ``order_refunded``, ``order_fully_refunded``,
``order_cancelled``, ``customer_created``.
Bodies may be subscription payloads (``{"order": …}`` or ``{"data": {"orderFullyPaid": …}}``,
camelCase) or legacy payloads (``[{…}]``, snake_case).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from pydantic import AliasChoices, AliasPath, BaseModel, Field

from ..conf import webhook_settings
from ..http_client import client
from ..models import InboundEndpoint
from ..signing import hmac_hex_matches
from . import translate
from .base import Envelope, Outcome, Refusal, check_age, header, ignored, parse_json

logger = logging.getLogger("parrain.webhooks")
SIGNATURE_HEADERS = ("saleor-signature", "x-saleor-signature")
PAID = {"order_fully_paid"}
#: Topics whose handling writes nothing but one order (``translate.order_paid``): accepted
#: in the background, the delivery's claim goes in that order's own statement (views.py).
ORDER_ONLY_TOPICS = frozenset(PAID)
JWKS_REFETCH_SECONDS = 60
REFUNDED = {"order_refunded", "order_fully_refunded"}


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def jwks_url(endpoint: InboundEndpoint) -> str:
    parts = urlsplit(endpoint.saleor_api_url)
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


def _cache_key(url: str) -> str:
    return f"parrain_webhooks:jwks:{url}"


def _fetch_jwks(url: str) -> list[dict[str, Any]]:
    """The shop's keys; a failure is remembered for a minute (a failing shop is not asked
    again for every delivery) and its detail goes to the log, not to the caller."""
    failed = _cache_key(url) + ":failed"
    if cache.get(failed):
        raise _jwks_unavailable()
    try:
        response = client().get(url)
        response.raise_for_status()
        keys = response.json().get("keys", [])
        if not isinstance(keys, list):
            raise ValueError("keys is not a list")
    except (httpx.HTTPError, ValueError, AttributeError, RecursionError) as exc:
        logger.warning("Saleor JWKS %s could not be read: %s", url, exc)
        cache.set(failed, True, JWKS_REFETCH_SECONDS)
        raise _jwks_unavailable() from exc
    cache.set(_cache_key(url), keys, webhook_settings.JWKS_CACHE_SECONDS)
    cache.set(_cache_key(url) + ":fresh", True, JWKS_REFETCH_SECONDS)
    return keys


def _jwks_unavailable() -> Refusal:
    return Refusal(
        503,
        "jwks_unavailable",
        _("The shop's public keys could not be read; the delivery can be retried later."),
    )


def _rsa_key(key: dict[str, Any]) -> rsa.RSAPublicKey:
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(_b64url(key["e"]), "big"), int.from_bytes(_b64url(key["n"]), "big")
    )
    return numbers.public_key()


def _find(keys: list[dict[str, Any]], kid: str | None) -> rsa.RSAPublicKey | None:
    for key in keys:
        if key.get("kty") == "RSA" and (kid is None or key.get("kid") == kid):
            return _rsa_key(key)
    return None


def _public_key(endpoint: InboundEndpoint, kid: str | None) -> rsa.RSAPublicKey:
    if not endpoint.saleor_api_url:
        raise Refusal(401, "endpoint_not_configured", _("This endpoint has no Saleor API URL."))
    url = jwks_url(endpoint)
    keys = cache.get(_cache_key(url))
    found = _find(keys, kid) if keys is not None else None
    # An unknown kid: the shop may have rotated its key. Fetch again, at most once a minute,
    # so forged key ids cannot make us hammer the shop.
    if found is None and (keys is None or not cache.get(_cache_key(url) + ":fresh")):
        found = _find(_fetch_jwks(url), kid)
    if found is None:
        raise Refusal(
            401, "bad_signature", _("No public key %(kid)r in the shop's JWKS.") % {"kid": kid}
        )
    return found


def _detached_rs256(jws_header: Any) -> bool:
    """A JOSE header of the shape we read (anything else is a forgery, not a crash)."""
    return (
        isinstance(jws_header, dict)
        and jws_header.get("alg") == "RS256"
        and isinstance(jws_header.get("crit", []), list)
        and isinstance(jws_header.get("kid", ""), str)
    )


def verify_jws(endpoint: InboundEndpoint, signature: str, body: bytes) -> None:
    try:
        protected, payload_part, signed = signature.split(".")
        jws_header = json.loads(_b64url(protected))
        raw_signature = _b64url(signed)
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise Refusal(401, "bad_signature", _("Saleor-Signature is not a JWS.")) from exc
    if not _detached_rs256(jws_header) or payload_part:
        raise Refusal(401, "bad_signature", _("Expected a detached RS256 JWS."))
    unencoded = jws_header.get("b64") is False and "b64" in jws_header.get("crit", [])
    payload = body if unencoded else base64.urlsafe_b64encode(body).rstrip(b"=")
    key = _public_key(endpoint, jws_header.get("kid"))
    try:
        key.verify(
            raw_signature, protected.encode() + b"." + payload, padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise Refusal(401, "bad_signature", _("Saleor-Signature does not match the body.")) from exc


def verify(endpoint: InboundEndpoint, request: HttpRequest, body: bytes) -> Envelope:
    signature = request.headers.get("Saleor-Signature") or header(request, "X-Saleor-Signature")
    if endpoint.secret:
        if not hmac_hex_matches(endpoint.signing_secrets(), body, signature):
            raise Refusal(401, "bad_signature", _("Saleor-Signature does not match the body."))
    else:
        verify_jws(endpoint, signature.strip(), body)
    _check_issued_at(body)
    event = request.headers.get("Saleor-Event") or header(request, "X-Saleor-Event")
    # Saleor sends no delivery id: a repeat of the same event with the same body is a duplicate.
    digest = hashlib.sha256(event.encode() + b"\n" + body).hexdigest()
    return Envelope(delivery_id=f"sha256:{digest}", topic=event.strip().lower())


def _check_issued_at(body: bytes) -> None:
    """Refuse a replayed payload when the subscription selected the event's ``issuedAt``."""
    try:
        payload = parse_json(body)
    except Refusal:
        return  # reported as malformed JSON by the view, once the signature is known good
    issued = payload.get("issuedAt") if isinstance(payload, dict) else None
    if not isinstance(issued, str):
        return
    try:
        issued_at = datetime.fromisoformat(issued.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Refusal(400, "bad_timestamp", _("issuedAt is not a date.")) from exc
    if issued_at.tzinfo is None:
        issued_at = issued_at.replace(tzinfo=UTC)
    check_age(issued_at, webhook_settings.SALEOR_MAX_AGE_SECONDS)


class Money(BaseModel):
    amount: Decimal
    currency: str | None = None


class Order(BaseModel):
    """Subscription (camelCase) and legacy (snake_case) order fields, whichever is present."""

    id: str
    number: str | None = None
    email: str | None = Field(
        None, validation_alias=AliasChoices("userEmail", "user_email", AliasPath("user", "email"))
    )
    first_name: str | None = Field(None, validation_alias=AliasPath("user", "firstName"))
    user_id: str | None = Field(None, validation_alias=AliasPath("user", "id"))
    total: Decimal | None = Field(
        None,
        validation_alias=AliasChoices(AliasPath("total", "gross", "amount"), "total_gross_amount"),
    )
    currency: str | None = Field(
        None,
        validation_alias=AliasChoices(
            AliasPath("total", "gross", "currency"),
            "currency",
            AliasPath("channel", "currency_code"),
            AliasPath("channel", "currencyCode"),
        ),
    )
    created: datetime | None = None
    voucher_code: str | None = Field(
        None,
        validation_alias=AliasChoices("voucherCode", "voucher_code", AliasPath("voucher", "code")),
    )
    total_refunded: Decimal | None = Field(
        None,
        validation_alias=AliasChoices(
            AliasPath("totalRefunded", "amount"), "total_refunded_amount"
        ),
    )


class User(BaseModel):
    id: str | None = None
    email: str | None = None
    first_name: str | None = Field(None, validation_alias=AliasChoices("firstName", "first_name"))
    last_name: str | None = Field(None, validation_alias=AliasChoices("lastName", "last_name"))


def _unwrap(payload: Any, key: str) -> dict[str, Any]:
    """The ``order`` / ``user`` object, whatever envelope Saleor put around it."""
    if isinstance(payload, list):
        payload = payload[0] if payload else {}
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        inner = next(iter(payload["data"].values()), None)
        payload = inner if isinstance(inner, dict) else {}
    if isinstance(payload, dict) and isinstance(payload.get(key), dict):
        return payload[key]
    return payload if isinstance(payload, dict) else {}


def handle(endpoint: InboundEndpoint, topic: str, body: bytes) -> Outcome:
    program = endpoint.program
    payload = json.loads(body)
    if topic == "customer_created":
        user = User.model_validate(_unwrap(payload, "user"))
        return translate.customer(
            program, user.email, user.id, user.first_name or "", user.last_name or ""
        )
    if topic not in PAID | REFUNDED | {"order_cancelled"}:
        return ignored(
            "unknown_topic", _("%(topic)s is not an event Parrain reads.") % {"topic": topic}
        )
    order = Order.model_validate(_unwrap(payload, "order"))
    if topic == "order_cancelled":
        return translate.cancelled(program, order.id)
    if topic in REFUNDED:
        if topic == "order_fully_refunded":
            return translate.cancelled(program, order.id)
        if order.total_refunded is None:
            return ignored(
                "refund_amount_missing", _("Select totalRefunded in the subscription query.")
            )
        return translate.refunded_total(program, order.id, order.total_refunded)
    if order.total is None or not order.currency:
        return ignored(
            "order_total_missing",
            _("Select total { gross { amount currency } } in the subscription query."),
        )
    return translate.order_paid(
        program,
        translate.PaidOrder(
            external_id=order.id,
            amount=order.total,
            currency=order.currency,
            email=order.email,
            customer_external_id=order.user_id,
            first_name=order.first_name or "",
            placed_at=order.created,
            discount_codes=[order.voucher_code] if order.voucher_code else [],
        ),
    )
