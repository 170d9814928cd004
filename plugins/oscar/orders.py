"""Translate Oscar orders and customers into the core's order and contact data."""

from __future__ import annotations

from typing import Any

from parrain.core.models import Program, Reward
from parrain.core.models.choices import Side
from parrain.core.services.orders import OrderData

from .conf import oscar_settings


def customer_external_id(user: Any) -> str:
    return f"oscar-user-{user.pk}"


def voucher_codes(order: Any) -> list[str]:
    codes = order.discounts.values_list("voucher_code", flat=True)
    return [code.upper() for code in codes if code]


def welcome_code(program: Program, codes: list[str]) -> str:
    """The voucher code of a welcome offer among the order's vouchers (the first one)."""
    if not codes:
        return ""
    found = Reward.objects.filter(program=program, side=Side.REFEREE, code__in=codes)
    return found.values_list("code", flat=True).first() or ""


def first_name(order: Any) -> str:
    if order.user_id and order.user.first_name:
        return order.user.first_name[:120]
    address = order.billing_address or order.shipping_address
    return (getattr(address, "first_name", "") or "")[:120]


def order_amount(order: Any) -> Any:
    return order.total_incl_tax if oscar_settings.AMOUNT_INCLUDES_TAX else order.total_excl_tax


def order_data(
    program: Program, order: Any, referral_code: str = "", link_click: str = ""
) -> OrderData:
    return OrderData(
        external_id=str(order.number),
        email=order.email or None,
        customer_external_id=customer_external_id(order.user) if order.user_id else None,
        first_name=first_name(order),
        amount=order_amount(order),
        currency=order.currency,
        placed_at=order.date_placed,
        welcome_code=welcome_code(program, voucher_codes(order)),
        referral_code=referral_code,
        referral_click=link_click if referral_code else "",
    )
