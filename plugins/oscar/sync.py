"""What the tasks do: record Oscar orders, refunds and customers with the core services."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from oscar.core.loading import get_model

from parrain.core.exceptions import ParrainError, Refused
from parrain.core.models import Contact, LoyaltyEntry, LoyaltyKind, Order, Program, Refund, Reward
from parrain.core.services.contacts import ContactData, find_contact, upsert_contact
from parrain.core.services.loyalty import record_action
from parrain.core.services.orders import RefundData, record_order, record_refund
from parrain.core.services.registration import register_referee
from parrain.core.services.rewards import mark_redeemed

from .conf import oscar_settings
from .orders import customer_external_id, order_data, voucher_codes
from .program import shop_program

OscarOrder = get_model("order", "Order")
logger = logging.getLogger(__name__)


def record_order_of(order_id: int, referral_code: str = "", link_click: str = "") -> Order | None:
    program = shop_program()
    oscar_order = OscarOrder.objects.select_related("user").filter(pk=order_id).first()
    if program is None or oscar_order is None:
        return None
    try:
        data = order_data(program, oscar_order, referral_code, link_click)
        outcome = record_order(program, data)
    except ParrainError as exc:
        logger.warning("order %s not recorded: %s", oscar_order.number, exc.message)
        return None
    codes = voucher_codes(oscar_order)
    for reward in Reward.objects.filter(program=program, code__in=codes):
        mark_redeemed(reward)
    return outcome.order


def record_refund_of(order_id: int, status: str) -> Refund | None:
    """A cancelled or refunded order: record the rest of its amount as refunded, once."""
    order = record_order_of(order_id)
    if order is None or order.refunded_amount >= order.amount:
        return None
    return record_refund(
        order.program, order.external_id, RefundData(external_id=f"status:{status}")
    )


def sync_customer(user_id: int, referral_code: str = "", link_click: str = "") -> Contact | None:
    """A new shop account becomes a contact; with a code from a share link, a referee."""
    program = shop_program()
    user = get_user_model().objects.filter(pk=user_id).first()
    if program is None or user is None or not user.email:
        return None
    data = ContactData(
        email=user.email,
        external_id=customer_external_id(user),
        first_name=user.first_name[:120],
        last_name=user.last_name[:120],
        consent_source="oscar",
    )
    try:
        contact, _ = upsert_contact(program, data, vouched=True)  # a shop account
    except ParrainError as exc:
        logger.warning("user %s not synced: %s", user_id, exc.message)
        return None
    if referral_code:
        try:
            register_referee(
                program,
                referral_code,
                user.email,
                first_name=user.first_name,
                source="oscar",
                link_click=link_click,
            )
        except Refused as exc:  # audited by the core with its reason
            logger.info("user %s: welcome offer refused (%s)", user_id, exc.reason)
        except ParrainError as exc:
            logger.info("user %s: welcome offer not issued (%s)", user_id, exc.message)
    return contact


def review_external_id(review_id: int) -> str:
    """Namespaced, so a review the shop also posts through the API keeps its own line."""
    return f"oscar-review:{review_id}"


def record_review_of(review_id: int) -> LoyaltyEntry | None:
    """An approved review by a shop account is one ``review`` action, once per review.

    Anonymous reviews earn nothing: their email address is typed by anyone, unverified.
    """
    from oscar.core.loading import get_model

    review = get_model("reviews", "ProductReview").objects.filter(pk=review_id).first()
    program = shop_program()
    if program is None or review is None or not review.is_approved or review.user_id is None:
        return None
    contact = _account_contact(program, review.user)
    if contact is None:
        return None
    try:
        entry, _created = record_action(
            program,
            contact,
            LoyaltyKind.REVIEW,
            oscar_settings.REVIEW_POINTS,
            occurred_at=review.date_created,
            source="oscar",
            external_id=review_external_id(review.pk),
        )
    except ParrainError as exc:
        logger.warning("review %s not recorded: %s", review_id, exc.message)
        return None
    return entry


def _account_contact(program: Program, user: Any) -> Contact | None:
    """The account's contact; an account older than the plugin becomes one now."""
    if not user.email:
        return None
    return find_contact(program, user.email) or sync_customer(user.pk)
