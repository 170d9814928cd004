"""``parrain_oscar_import``: existing customers and past orders, in batches, re-runnable."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oscar.test.factories import UserFactory, create_order

from parrain.core.models import Contact, Order, Program, Referral
from parrain.core.services import scenarios

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def run_import(*args: str) -> tuple[str, int]:
    scenarios.forget()  # each run reads the program's scenario steps once, as a new process
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("parrain_oscar_import", *args, stdout=out)
    return out.getvalue(), len(queries)


@pytest.fixture
def history(program: Program) -> dict[str, Any]:
    users = [UserFactory(email=f"client{n}@example.com") for n in range(6)]
    orders = [create_order(user=users[n % 3]) for n in range(8)]
    guest = create_order(guest_email="invite@example.net")
    orders[0].set_status("Cancelled")
    return {"users": users, "orders": orders + [guest]}


def test_import_creates_contacts_and_past_orders_marks_customers(
    program: Program, history: dict[str, Any]
) -> None:
    output, _ = run_import("--batch-size", "4")

    assert "6 new contacts, 9 new orders" in output
    assert "customers  [##############################] 6/6" in output
    assert Order.objects.filter(program=program).count() == 9
    buyers = Contact.objects.filter(program=program, is_customer=True)
    assert set(buyers.values_list("email", flat=True)) == {
        "client0@example.com",
        "client1@example.com",
        "client2@example.com",
        "invite@example.net",
    }
    first = history["orders"][0]
    assert Contact.objects.get(email="client0@example.com").first_order_at == first.date_placed
    cancelled = Order.objects.get(external_id=first.number)
    assert cancelled.refunded_amount == cancelled.amount > Decimal("0")
    assert not Referral.objects.exists()


def test_import_again_adds_nothing_and_changes_nothing(
    program: Program, history: dict[str, Any]
) -> None:
    run_import()
    snapshot = list(Order.objects.order_by("pk").values())

    output, _ = run_import()

    assert "0 new contacts, 0 new orders" in output
    assert list(Order.objects.order_by("pk").values()) == snapshot
    assert Contact.objects.filter(program=program).count() == 7


def test_queries_per_batch_do_not_grow_with_rows(program: Program, history: dict[str, Any]) -> None:
    _, small_shop = run_import("--batch-size", "100")
    Order.objects.all().delete()
    Contact.objects.all().delete()
    more_users = [UserFactory(email=f"autre{n}@example.com") for n in range(6)]
    for n in range(9):
        create_order(user=more_users[n % 6])

    output, twice_the_shop = run_import("--batch-size", "100")

    assert "12 new contacts, 18 new orders" in output
    assert twice_the_shop == small_shop


def test_unknown_program_and_bad_batch_size_are_refused(program: Program) -> None:
    with pytest.raises(CommandError, match="No such program"):
        call_command("parrain_oscar_import", "--program", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="batch-size"):
        call_command("parrain_oscar_import", "--batch-size", "0", stdout=StringIO())
