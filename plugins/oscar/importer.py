"""Read Oscar's customers and orders in keyset-paginated batches for the core's import.

Each batch is fetched with ``pk > last_pk ORDER BY pk LIMIT n`` as plain values, so memory
stays flat however large the shop is, and an interrupted import can simply be re-run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from oscar.core.loading import get_model

from parrain.core.importing.rows import ContactRow
from parrain.core.services.imports import PastOrderRow

from .conf import oscar_settings
from .orders import customer_external_id

OscarOrder = get_model("order", "Order")

USER_FIELDS = ("pk", "email", "first_name", "last_name")
ORDER_FIELDS = (
    "pk",
    "number",
    "user_id",
    "user__email",
    "user__first_name",
    "guest_email",
    "total_incl_tax",
    "total_excl_tax",
    "currency",
    "date_placed",
    "status",
)


def batches(queryset: Any, fields: tuple[str, ...], size: int) -> Iterator[list[dict]]:
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values(*fields)[:size])
        if not rows:
            return
        last = rows[-1]["pk"]
        yield rows


def customer_rows(size: int) -> Iterator[ContactRow]:
    """The shop's customers as import rows (``row`` is the user's id), read ``size`` at a
    time, for the core's one contact import service."""
    users = get_user_model().objects.exclude(email="")
    for rows in batches(users, USER_FIELDS, size):
        for row in rows:
            yield ContactRow(
                row=row["pk"],
                email=row["email"],
                external_id=customer_external_id(_Pk(row["pk"])),
                first_name=row["first_name"] or None,
                last_name=row["last_name"] or None,
            )


def order_batches(size: int) -> Iterator[list[PastOrderRow]]:
    cancelled = set(oscar_settings.CANCEL_STATUSES)
    amount = "total_incl_tax" if oscar_settings.AMOUNT_INCLUDES_TAX else "total_excl_tax"
    for rows in batches(OscarOrder.objects.all(), ORDER_FIELDS, size):
        yield [
            PastOrderRow(
                external_id=str(row["number"]),
                email=row["user__email"] or row["guest_email"] or "",
                amount=row[amount],
                currency=row["currency"],
                placed_at=row["date_placed"],
                customer_external_id=(
                    customer_external_id(_Pk(row["user_id"])) if row["user_id"] else None
                ),
                first_name=row["user__first_name"] or "",
                refunded=row["status"] in cancelled,
            )
            for row in rows
        ]


def count_customers() -> int:
    return get_user_model().objects.exclude(email="").count()


def count_orders() -> int:
    return OscarOrder.objects.count()


class _Pk:
    def __init__(self, pk: int) -> None:
        self.pk = pk
