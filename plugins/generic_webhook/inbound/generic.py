"""Any shop: Standard Webhooks signature and Parrain's own ``{type, timestamp, data}`` events.

Types: ``customer.created``, ``order.paid``, ``order.refunded``, ``order.cancelled``,
``loyalty_action.recorded``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from parrain.core.api.schemas import ApiLoyaltyKind
from parrain.core.services.loyalty import MAX_POINTS, RESERVED_PREFIXES
from parrain.core.validation_types import Currency, Email, ExternalId, Name

from ..conf import webhook_settings
from ..models import InboundEndpoint
from ..signing import InvalidSecret, signature_matches
from . import translate
from .base import Envelope, Outcome, Refusal, check_age, header, ignored

SIGNATURE_HEADERS = ("webhook-signature",)
#: Topics whose handling writes nothing but one order (``translate.order_paid``): accepted
#: in the background, the delivery's claim goes in that order's own statement (views.py).
ORDER_ONLY_TOPICS = frozenset({"order.paid"})
Code = Annotated[str, Field(max_length=64)]


class Event(BaseModel):
    type: Annotated[str, Field(max_length=60)]
    timestamp: datetime | None = None
    data: dict


class Customer(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    email: Email | None = None
    external_id: ExternalId | None = None
    first_name: Name = ""
    last_name: Name = ""


class OrderPaid(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    external_id: ExternalId
    email: Email | None = None
    customer_external_id: ExternalId | None = None
    first_name: Name = ""
    amount: Annotated[Decimal, Field(ge=0, max_digits=14)]
    currency: Currency
    placed_at: datetime | None = None
    discount_codes: Annotated[list[Code], Field(max_length=50)] = []
    referral_code: Annotated[str, Field(max_length=32)] = ""


class OrderRefunded(BaseModel):
    order_external_id: ExternalId
    refund_external_id: ExternalId
    amount: Annotated[Decimal, Field(ge=0, max_digits=14)] | None = None


class OrderCancelled(BaseModel):
    order_external_id: ExternalId


class LoyaltyActionRecorded(BaseModel):
    """The server API's loyalty action, with the contact named as in ``order.paid`` and an
    ``external_id`` that is required: a webhook is retried, so every action must be
    recognisable when it comes again."""

    model_config = ConfigDict(str_strip_whitespace=True)

    email: Email | None = None
    customer_external_id: ExternalId | None = None
    kind: ApiLoyaltyKind
    points: Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS)]
    occurred_at: datetime | None = None
    external_id: ExternalId
    custom_kind: Annotated[str, Field(max_length=60)] = ""
    reason: Annotated[str, Field(max_length=255)] = ""

    @field_validator("external_id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        # Parrain's own lines (an order's points, a refund's reversal, a reward) use these
        # ids: a shop posting one would take over that line and block the real one.
        if value.lower().startswith(RESERVED_PREFIXES):
            raise ValueError(f"ids starting with {', '.join(RESERVED_PREFIXES)} are Parrain's own")
        return value

    @model_validator(mode="after")
    def _one_contact(self) -> LoyaltyActionRecorded:
        if not (self.email or self.customer_external_id):
            raise ValueError("give email or customer_external_id")
        return self


def verify(endpoint: InboundEndpoint, request: HttpRequest, body: bytes) -> Envelope:
    msg_id = header(request, "webhook-id")
    raw_timestamp = header(request, "webhook-timestamp")
    signature = header(request, "webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError as exc:
        raise Refusal(400, "bad_timestamp", _("webhook-timestamp is not a Unix time.")) from exc
    try:
        matches = signature_matches(endpoint.signing_secrets(), msg_id, timestamp, body, signature)
    except InvalidSecret as exc:
        raise Refusal(
            401, "bad_signature", _("The endpoint's secret is not a whsec_ key.")
        ) from exc
    if not matches:
        raise Refusal(401, "bad_signature", _("No v1 signature matches the body."))
    check_age(datetime.fromtimestamp(timestamp, tz=UTC), webhook_settings.TOLERANCE_SECONDS)
    return Envelope(delivery_id=msg_id, topic="")


def topic_of(payload: object) -> str:
    """The event type, read from the parsed body (Standard Webhooks has no topic header)."""
    topic = payload.get("type") if isinstance(payload, dict) else None
    return topic[:120] if isinstance(topic, str) else ""


def handle(endpoint: InboundEndpoint, topic: str, body: bytes) -> Outcome:
    event = Event.model_validate_json(body)
    program = endpoint.program
    if event.type == "customer.created":
        customer = Customer.model_validate(event.data)
        return translate.customer(
            program, customer.email, customer.external_id, customer.first_name, customer.last_name
        )
    if event.type == "order.paid":
        order = OrderPaid.model_validate(event.data)
        return translate.order_paid(program, translate.PaidOrder(**order.model_dump()))
    if event.type == "order.refunded":
        refund = OrderRefunded.model_validate(event.data)
        return translate.refund(
            program, refund.order_external_id, refund.refund_external_id, refund.amount
        )
    if event.type == "order.cancelled":
        return translate.cancelled(
            program, OrderCancelled.model_validate(event.data).order_external_id
        )
    if event.type == "loyalty_action.recorded":
        action = LoyaltyActionRecorded.model_validate(event.data)
        return translate.loyalty_action(program, translate.LoyaltyAction(**action.model_dump()))
    return ignored(
        "unknown_topic", _("%(topic)s is not an event Parrain reads.") % {"topic": event.type}
    )
