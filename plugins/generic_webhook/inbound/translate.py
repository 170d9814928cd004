"""Turn a platform's order, refund, customer and loyalty action into core service calls."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Model, Q
from django.utils.translation import gettext as _

from parrain.core.exceptions import NotFound, ParrainError
from parrain.core.inserts import InsertUnlessTaken
from parrain.core.models import Contact, Order, Program, Reward
from parrain.core.models.choices import Side
from parrain.core.services import loyalty
from parrain.core.services.contacts import ContactData, find_contact, upsert_contact
from parrain.core.services.orders import (
    OrderData,
    RefundData,
    accept_order,
    record_order,
    record_refund_outcome,
)

from .base import Outcome, accepted, ignored

CENT = Decimal("0.01")


def money(value: Decimal | str | float | int) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class PaidOrder:
    external_id: str
    amount: Decimal
    currency: str
    email: str | None = None
    customer_external_id: str | None = None
    first_name: str = ""
    placed_at: datetime | None = None
    discount_codes: list[str] = field(default_factory=list)
    referral_code: str = ""


@dataclass
class LoyaltyAction:
    external_id: str
    kind: str
    points: int
    email: str | None = None
    customer_external_id: str | None = None
    occurred_at: datetime | None = None
    custom_kind: str = ""
    reason: str = ""


class UnknownContact(ParrainError):
    """Points need a person to hold them. Unlike an order (a purchase is proof enough of a
    customer, so ``order.paid`` creates the contact), an action for someone Parrain does not
    know is most often a ``customer.created`` still on its way: refusing makes the shop
    retry later, when the contact exists, and keeps a typo from opening a ledger."""

    status = 422
    code = "unknown_contact"


def welcome_code_among(program: Program, codes: list[str]) -> str:
    """The discount code that is one of our welcome codes, matched regardless of case."""
    wanted = [c.strip() for c in codes if c and c.strip()]
    if not wanted:
        return ""
    match = Q()
    for code in wanted:
        match |= Q(code__iexact=code)
    reward = Reward.objects.filter(match, program=program, side=Side.REFEREE).first()
    return reward.code if reward is not None and reward.code else ""


#: Within a delivery that asked for it (``Prefer: respond-async``, or the setting
#: ``PARRAIN_ORDERS_IN_BACKGROUND``): orders are accepted at once, attributed by a worker.
_IN_BACKGROUND: ContextVar[bool] = ContextVar("parrain_orders_in_background", default=False)
#: The delivery's claim, when the view left it to the order's insert (``order_paid``).
_ALONG: ContextVar[tuple[InsertUnlessTaken, Model] | None] = ContextVar(
    "parrain_order_claim_along", default=None
)


@contextmanager
def orders_in_background(
    on: bool, along: tuple[InsertUnlessTaken, Model] | None = None
) -> Iterator[None]:
    """``along``: the delivery's claim, to insert in the order's own statement
    (``accept_order``); only for topics whose handling writes nothing but that order
    (the presets' ``ORDER_ONLY_TOPICS``), outside any transaction."""
    token, along_token = _IN_BACKGROUND.set(on), _ALONG.set(along if on else None)
    try:
        yield
    finally:
        _ALONG.reset(along_token)
        _IN_BACKGROUND.reset(token)


def queued() -> Outcome:
    """An order stored at once, its attribution left to a worker (``accept_order``)."""
    return accepted("order_queued", _("Attributed in the background."))


def order_paid(program: Program, order: PaidOrder) -> Outcome:
    data = OrderData(
        external_id=order.external_id,
        email=order.email or None,
        customer_external_id=order.customer_external_id or None,
        first_name=order.first_name[:120],
        amount=money(order.amount),
        currency=order.currency,
        placed_at=order.placed_at,
        welcome_code=welcome_code_among(program, order.discount_codes),
        referral_code=order.referral_code[:32],
    )
    if _IN_BACKGROUND.get():
        accepted_order = accept_order(program, data, along=_ALONG.get())
        if not accepted_order.created:
            return ignored("order_already_recorded")
        return queued()
    outcome = record_order(program, data)
    if not outcome.created:
        return ignored("order_already_recorded")
    if outcome.referral is not None:
        return accepted("order_attributed", _("Referral %(id)s.") % {"id": outcome.referral.pk})
    return accepted("order_recorded")


def refund(
    program: Program, order_external_id: str, refund_id: str, amount: Decimal | None
) -> Outcome:
    data = RefundData(external_id=refund_id, amount=None if amount is None else money(abs(amount)))
    try:
        outcome = record_refund_outcome(program, order_external_id, data)
    except NotFound:
        return ignored(
            "order_not_recorded", _("Order %(id)s was never recorded.") % {"id": order_external_id}
        )
    return accepted("refund_recorded") if outcome.created else ignored("refund_already_recorded")


def refunded_total(program: Program, order_external_id: str, total: Decimal) -> Outcome:
    """Platforms that send the cumulative refunded amount: record what is new."""
    order = Order.objects.filter(program=program, external_id=order_external_id).first()
    if order is None:
        return ignored(
            "order_not_recorded", _("Order %(id)s was never recorded.") % {"id": order_external_id}
        )
    new = money(total) - order.refunded_amount
    if new <= 0:
        return ignored("refund_already_recorded")
    return refund(program, order_external_id, f"refunded-total-{money(total)}", new)


def cancelled(program: Program, order_external_id: str) -> Outcome:
    """A cancelled order counts as refunded in full (whatever is left of it)."""
    order = Order.objects.filter(program=program, external_id=order_external_id).first()
    if order is None:
        return ignored(
            "order_not_recorded", _("Order %(id)s was never recorded.") % {"id": order_external_id}
        )
    if order.refunded_amount >= order.amount:
        return ignored("order_already_refunded")
    return refund(program, order_external_id, "cancelled", None)


def customer(
    program: Program,
    email: str | None,
    external_id: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> Outcome:
    if not email:
        return ignored("customer_without_email")
    data = ContactData(
        email=email,
        external_id=external_id or None,
        first_name=(first_name or "")[:120],
        last_name=(last_name or "")[:120],
        consent_source="webhook",
    )
    _contact, created = upsert_contact(program, data)
    return accepted("customer_created" if created else "customer_updated")


def _action_contact(program: Program, action: LoyaltyAction) -> Contact:
    found = None
    if action.customer_external_id:
        found = Contact.objects.filter(
            program=program, external_id=action.customer_external_id
        ).first()
    if found is None and action.email:
        found = find_contact(program, action.email)
    if found is None or found.is_erased:
        field = "email" if action.email else "customer_external_id"
        raise UnknownContact(_("No contact matches in this program."), field=field)
    return found


def loyalty_action(program: Program, action: LoyaltyAction) -> Outcome:
    """One line on the contact's ledger; a replay of ``external_id`` answers the same line."""
    entry, created = loyalty.record_action(
        program,
        _action_contact(program, action),
        action.kind,
        action.points,
        occurred_at=action.occurred_at,
        source="webhook",
        external_id=action.external_id,
        reason=action.reason,
        custom_kind=action.custom_kind,
        actor="webhook",
    )
    detail = _("Ledger line %(id)s.") % {"id": entry.pk}
    if not created:
        return ignored("action_already_recorded", detail)
    return accepted("action_recorded", detail)
