"""WooCommerce: ``X-WC-Webhook-Signature`` (base64 HMAC-SHA256 of the raw body).

The body is the REST API resource. Topics read: ``order.created`` / ``order.updated``
(recorded once paid; ``refunds`` and the ``refunded`` / ``cancelled`` statuses become
refunds) and ``customer.created``. WooCommerce pings a new webhook with an unsigned
form body ``webhook_id=<id>`` and saves the webhook only on a 200: it is answered 200 and
not stored. ``X-WC-Webhook-Delivery-ID`` is not signed: the same topic with the same
signed body is a duplicate too.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from pydantic import BaseModel

from parrain.core.models import Program

from ..models import InboundEndpoint
from ..signing import hmac_base64_matches
from . import translate
from .base import Envelope, Outcome, Refusal, header, ignored

SIGNATURE_HEADERS = ("x-wc-webhook-signature",)
PING = re.compile(rb"^webhook_id=\d+$")
PAID_STATUSES = {"processing", "completed", "refunded"}
ORDER_TOPICS = {"order.created", "order.updated"}


class Billing(BaseModel):
    email: str | None = None
    first_name: str | None = None


class CouponLine(BaseModel):
    code: str


class RefundLine(BaseModel):
    id: int
    total: Decimal


class Order(BaseModel):
    id: int
    status: str
    currency: str
    total: Decimal
    customer_id: int = 0
    billing: Billing = Billing()
    date_paid_gmt: datetime | None = None
    date_created_gmt: datetime | None = None
    coupon_lines: list[CouponLine] = []
    refunds: list[RefundLine] = []


class Customer(BaseModel):
    id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


def is_ping(request: HttpRequest, body: bytes) -> bool:
    return request.content_type == "application/x-www-form-urlencoded" and bool(PING.match(body))


def verify(endpoint: InboundEndpoint, request: HttpRequest, body: bytes) -> Envelope:
    if is_ping(request, body):
        return Envelope(delivery_id="", topic="ping", ping=True)
    signature = header(request, "X-WC-Webhook-Signature")
    if not hmac_base64_matches(endpoint.signing_secrets(), body, signature):
        raise Refusal(401, "bad_signature", _("X-WC-Webhook-Signature does not match the body."))
    return Envelope(
        delivery_id=header(request, "X-WC-Webhook-Delivery-ID"),
        topic=header(request, "X-WC-Webhook-Topic"),
    )


def event_key(topic: str, payload: Any, body: bytes) -> str:
    """The topic and a digest of the signed body (an order changes between its updates)."""
    return f"{topic[:60]}:sha256:{hashlib.sha256(body).hexdigest()}"


def _utc(value: datetime | None) -> datetime | None:
    """WooCommerce's ``*_gmt`` dates carry no offset: they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def handle(endpoint: InboundEndpoint, topic: str, body: bytes) -> Outcome:
    program = endpoint.program
    if topic == "customer.created":
        customer = Customer.model_validate_json(body)
        return translate.customer(
            program,
            customer.email,
            str(customer.id),
            customer.first_name or "",
            customer.last_name or "",
        )
    if topic in ORDER_TOPICS:
        return _order(program, Order.model_validate_json(body))
    return ignored(
        "unknown_topic", _("%(topic)s is not an event Parrain reads.") % {"topic": topic}
    )


def _order(program: Program, order: Order) -> Outcome:
    external_id = str(order.id)
    if order.status not in PAID_STATUSES and order.date_paid_gmt is None:
        if order.status == "cancelled":
            return translate.cancelled(program, external_id)
        return ignored("order_not_paid", _("Order status %(status)s.") % {"status": order.status})
    outcome = translate.order_paid(
        program,
        translate.PaidOrder(
            external_id=external_id,
            amount=order.total,
            currency=order.currency,
            email=order.billing.email or None,
            customer_external_id=str(order.customer_id) if order.customer_id else None,
            first_name=order.billing.first_name or "",
            placed_at=_utc(order.date_paid_gmt or order.date_created_gmt),
            discount_codes=[line.code for line in order.coupon_lines],
        ),
    )
    for line in order.refunds:
        refunded = translate.refund(program, external_id, f"wc-refund-{line.id}", line.total)
        # A new refund is the news; a repeated one says so rather than "order already…".
        if refunded.result == "accepted" or outcome.reason == "order_already_recorded":
            outcome = refunded
    if order.status in ("refunded", "cancelled"):
        final = translate.cancelled(program, external_id)
        outcome = final if final.result == "accepted" else outcome
    return outcome
