"""Shopify: ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body, app secret).

Topics read: ``customers/create``, ``orders/paid``, ``refunds/create``, ``orders/cancelled``.
Duplicates are recognised by ``X-Shopify-Webhook-Id`` and, since that header is not signed, by
the topic and the resource id in the signed body; ``X-Shopify-Triggered-At`` older than
``SHOPIFY_MAX_AGE_SECONDS`` (Shopify keeps it across its own retries) is refused.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from django.http import HttpRequest
from django.utils.translation import gettext as _
from pydantic import BaseModel, BeforeValidator, Field

from parrain.core.services.enrolment import SHARE_QUERY_PARAM

from ..conf import webhook_settings
from ..models import InboundEndpoint
from ..signing import hmac_base64_matches
from . import translate
from .base import Envelope, Outcome, Refusal, check_age, header, ignored

SIGNATURE_HEADERS = ("x-shopify-hmac-sha256",)
READ_TOPICS = {"customers/create", "orders/paid", "refunds/create", "orders/cancelled"}
#: Topics whose handling writes nothing but one order (``translate.order_paid``): accepted
#: in the background, the delivery's claim goes in that order's own statement (views.py).
ORDER_ONLY_TOPICS = frozenset({"orders/paid"})

# Shopify ids go past 2**53: kept as text, never as floats.
ShopifyId = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v)]


class Customer(BaseModel):
    id: ShopifyId
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class DiscountCode(BaseModel):
    code: str
    amount: str | None = None
    type: str | None = None


class NoteAttribute(BaseModel):
    name: str
    value: str | None = None


class Order(BaseModel):
    id: ShopifyId
    email: str | None = None
    contact_email: str | None = None
    total_price: Decimal
    currency: str
    created_at: datetime | None = None
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
    discount_codes: Annotated[list[DiscountCode], Field(max_length=100)] = []
    landing_site: str | None = None
    note_attributes: list[NoteAttribute] = []
    customer: Customer | None = None


class Transaction(BaseModel):
    amount: Decimal
    kind: str | None = None
    status: str | None = None


class Refund(BaseModel):
    id: ShopifyId
    order_id: ShopifyId
    transactions: list[Transaction] = []


def verify(endpoint: InboundEndpoint, request: HttpRequest, body: bytes) -> Envelope:
    signature = header(request, "X-Shopify-Hmac-Sha256")
    if not hmac_base64_matches(endpoint.signing_secrets(), body, signature):
        raise Refusal(401, "bad_signature", _("X-Shopify-Hmac-Sha256 does not match the body."))
    triggered = header(request, "X-Shopify-Triggered-At", required=False)
    if triggered:
        try:
            sent_at = datetime.fromisoformat(triggered.replace("Z", "+00:00"))
        except ValueError as exc:
            raise Refusal(400, "bad_timestamp", _("X-Shopify-Triggered-At is not a date.")) from exc
        check_age(sent_at, webhook_settings.SHOPIFY_MAX_AGE_SECONDS)
    return Envelope(
        delivery_id=header(request, "X-Shopify-Webhook-Id"),
        topic=header(request, "X-Shopify-Topic"),
    )


def event_key(topic: str, payload: Any, body: bytes) -> str:
    """The topic, the resource id and its ``updated_at`` from the signed body:
    ``X-Shopify-Webhook-Id`` is not signed, so a replay under a fresh one is still this
    event, while a later change of the same order (its cancellation) is a new one."""
    resource_id = payload.get("id") if isinstance(payload, dict) else None
    if topic not in READ_TOPICS or not isinstance(resource_id, int | str) or not resource_id:
        return ""
    stamp = payload.get("updated_at")
    return f"{topic}:{resource_id}:{stamp if isinstance(stamp, str) else ''}"[:200]


def referral_code(order: Order) -> str:
    """The share-link code: a ``parrain`` note attribute, or ``?parrain=`` on the landing URL."""
    for attribute in order.note_attributes:
        if attribute.name == SHARE_QUERY_PARAM and attribute.value:
            return attribute.value
    if order.landing_site:
        found = parse_qs(urlsplit(order.landing_site).query).get(SHARE_QUERY_PARAM)
        if found:
            return found[0]
    return ""


def handle(endpoint: InboundEndpoint, topic: str, body: bytes) -> Outcome:
    program = endpoint.program
    if topic == "customers/create":
        customer = Customer.model_validate_json(body)
        return translate.customer(
            program,
            customer.email,
            customer.id,
            customer.first_name or "",
            customer.last_name or "",
        )
    if topic == "orders/paid":
        order = Order.model_validate_json(body)
        buyer = order.customer
        return translate.order_paid(
            program,
            translate.PaidOrder(
                external_id=order.id,
                amount=order.total_price,
                currency=order.currency,
                email=order.email or order.contact_email or (buyer.email if buyer else None),
                customer_external_id=buyer.id if buyer else None,
                first_name=(buyer.first_name or "") if buyer else "",
                placed_at=order.processed_at or order.created_at,
                discount_codes=[d.code for d in order.discount_codes],
                referral_code=referral_code(order),
            ),
        )
    if topic == "refunds/create":
        refund = Refund.model_validate_json(body)
        amount = sum(
            (t.amount for t in refund.transactions if t.kind == "refund" and t.status == "success"),
            Decimal("0"),
        )
        if amount <= 0:
            return ignored("refund_without_money", _("No successful refund transaction."))
        return translate.refund(program, refund.order_id, refund.id, amount)
    if topic == "orders/cancelled":
        # X-Shopify-Topic is not signed: the signed body must say the order is cancelled.
        order = Order.model_validate_json(body)
        if order.cancelled_at is None:
            return ignored("order_not_cancelled", _("The order in the body is not cancelled."))
        return translate.cancelled(program, order.id)
    return ignored(
        "unknown_topic", _("%(topic)s is not an event Parrain reads.") % {"topic": topic}
    )
