"""Bulk imports of a shop's history: past orders, in batches, re-runnable (customers go
through the one contact import service, ``contact_imports.import_rows``).

Past orders are recorded for the figures (total revenue, who is already a customer) but
never attributed: they predate the program. Each batch is a handful of queries whatever
its size; rows already imported (same email, same order external id) are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, OuterRef, Subquery

from .. import audit
from ..emails import canonical_email, normalize_email
from ..models import Contact, Order, Program
from ..models.choices import Recipient, Trigger
from . import scenarios


@dataclass(frozen=True)
class CustomerRow:
    email: str
    external_id: str | None = None
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class PastOrderRow:
    external_id: str
    email: str
    amount: Decimal
    currency: str
    placed_at: datetime
    customer_external_id: str | None = None
    first_name: str = ""
    refunded: bool = False


def _contacts_by_email(program: Program, rows: Sequence[CustomerRow]) -> dict[str, int]:
    wanted = {normalize_email(row.email): row for row in rows if row.email}
    known = dict(
        Contact.objects.filter(program=program, email_normalized__in=wanted).values_list(
            "email_normalized", "pk"
        )
    )
    taken_ids = set(
        Contact.objects.filter(
            program=program,
            external_id__in=[r.external_id for r in wanted.values() if r.external_id],
        ).values_list("external_id", flat=True)
    )
    new = [
        Contact(
            program=program,
            email=row.email.strip(),
            email_normalized=email,
            email_canonical=canonical_email(row.email),
            external_id=row.external_id if row.external_id not in taken_ids else None,
            first_name=row.first_name[:120],
            last_name=row.last_name[:120],
            language=program.default_language,
        )
        for email, row in wanted.items()
        if email not in known
    ]
    Contact.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        known = dict(
            Contact.objects.filter(program=program, email_normalized__in=wanted).values_list(
                "email_normalized", "pk"
            )
        )
    return known


@transaction.atomic
def import_past_orders(program: Program, rows: Sequence[PastOrderRow]) -> int:
    """Record past orders once (by external id), unattributed; returns how many were new."""
    rows = [row for row in rows if row.currency == program.currency]
    existing = set(
        Order.objects.filter(
            program=program, external_id__in=[row.external_id for row in rows]
        ).values_list("external_id", flat=True)
    )
    rows = [row for row in rows if row.external_id not in existing]
    if not rows:
        return 0
    customers = [CustomerRow(row.email, row.customer_external_id, row.first_name) for row in rows]
    contacts = _contacts_by_email(program, customers)
    orders = [
        Order(
            program=program,
            external_id=row.external_id,
            contact_id=contacts.get(normalize_email(row.email)) if row.email else None,
            amount=row.amount,
            currency=row.currency,
            placed_at=row.placed_at,
            refunded_amount=row.amount if row.refunded else Decimal("0"),
            refunded_at=row.placed_at if row.refunded else None,
        )
        for row in rows
    ]
    created = Order.objects.bulk_create(orders, ignore_conflicts=True)
    _mark_customers(program, {o.contact_id for o in orders if o.contact_id})
    audit.record(program, "orders.imported", actor="import", count=len(created))
    return len(created)


def _mark_customers(program: Program, contact_ids: set[int]) -> None:
    """Mark the contacts customers; those who were not yet start the scenario's
    ``became_customer`` steps (how a shop without a connection feeds the scenario)."""
    newly = list(Contact.objects.filter(program=program, pk__in=contact_ids, is_customer=False))
    first = (
        Order.objects.filter(contact=OuterRef("pk"))
        .values("contact")
        .annotate(first=Min("placed_at"))
        .values("first")
    )
    Contact.objects.filter(program=program, pk__in=contact_ids).update(
        is_customer=True, first_order_at=Subquery(first)
    )
    for contact in newly:
        contact.is_customer = True
    scenarios.fire_many(
        program,
        Trigger.BECAME_CUSTOMER,
        [scenarios.Firing(c, {Recipient.CONTACT: c}) for c in newly],
    )
