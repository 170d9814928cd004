"""Bulk import of customers and past orders: unattributed, idempotent, customers marked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Contact, Order, Referral
from parrain.core.services.imports import PastOrderRow, import_past_orders

pytestmark = pytest.mark.django_db


def row(ref: str, email: str, days_ago: int, **extra: object) -> PastOrderRow:
    fields = {
        "external_id": ref,
        "email": email,
        "amount": Decimal("40.00"),
        "currency": "EUR",
        "placed_at": timezone.now() - timedelta(days=days_ago),
    }
    return PastOrderRow(**{**fields, **extra})  # type: ignore[arg-type]


def test_past_orders_are_recorded_once_and_mark_their_buyers_as_customers() -> None:
    program = ProgramFactory()
    rows = [
        row("A-1", "Anne@Example.com", 30),
        row("A-2", "anne@example.com", 10),
        row("B-1", "ben@example.com", 5, refunded=True),
        row("USD-1", "usd@example.com", 5, currency="USD"),
    ]

    assert import_past_orders(program, rows) == 3
    assert import_past_orders(program, rows) == 0

    anne = Contact.objects.get(program=program, email_normalized="anne@example.com")
    assert anne.is_customer
    assert anne.first_order_at == rows[0].placed_at
    ben_order = Order.objects.get(program=program, external_id="B-1")
    assert ben_order.refunded_amount == ben_order.amount
    assert not Order.objects.filter(external_id="USD-1").exists()
    assert not Referral.objects.exists()
    assert AuditEvent.objects.filter(action="orders.imported").count() == 1
