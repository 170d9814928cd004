"""A transaction PostgreSQL cancels to break a deadlock (two drainers, two requests locking
the same rows in turn) runs once more, for an order recorded at once as for an accepted
one: the caller sees neither the error nor a 500."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg.errors
import pytest
from django.db import OperationalError

from parrain.core import tasks
from parrain.core.factories import ProgramFactory
from parrain.core.locks import is_deadlock
from parrain.core.models import Order, Program
from parrain.core.models.choices import ReferralStatus
from parrain.core.services import orders
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import OrderData, accept_order, record_order

pytestmark = pytest.mark.django_db


def _deadlock() -> OperationalError:
    """The error Django raises when PostgreSQL cancels a transaction in a deadlock."""
    try:
        try:
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        except psycopg.errors.DeadlockDetected as cause:
            raise OperationalError("deadlock detected") from cause
    except OperationalError as error:
        return error


@pytest.fixture
def once(monkeypatch) -> list[str]:
    """``_record_new`` cancelled by a deadlock the first time it runs, then as it is."""
    real, failed = orders._record_new, []

    def deadlocked_once(program: Program, data: OrderData, accepted: Any = None) -> Any:
        if not failed:
            failed.append(data.external_id)
            raise _deadlock()
        return real(program, data, accepted)

    monkeypatch.setattr(orders, "_record_new", deadlocked_once)
    return failed


def _order(program: Program) -> OrderData:
    code = enrol_referrer(program, "alice@example.com").code
    return OrderData(
        external_id="D-1",
        email="friend@example.org",
        amount=Decimal("60"),
        currency="EUR",
        referral_code=code,
    )


def test_only_a_deadlock_counts_as_one() -> None:
    assert is_deadlock(_deadlock())
    assert not is_deadlock(OperationalError("server closed the connection"))


def test_an_order_cancelled_by_a_deadlock_is_recorded_on_the_second_run(once) -> None:
    program = ProgramFactory(slug="deadlock-sync", currency="EUR")
    outcome = record_order(program, _order(program))
    assert once == ["D-1"]
    assert outcome.created and outcome.referral.status == ReferralStatus.CONVERTED
    assert Order.objects.filter(program=program).count() == 1


def test_an_accepted_order_cancelled_by_a_deadlock_is_attributed_on_the_second_run(
    once, monkeypatch
) -> None:
    monkeypatch.setattr(tasks.attribute_accepted_orders, "delay", lambda *args: None)
    program = ProgramFactory(slug="deadlock-drain", currency="EUR")
    order = accept_order(program, _order(program)).order
    outcome = orders.attribute_accepted(order.pk)
    assert once == ["D-1"]
    assert outcome is not None and outcome.referral.status == ReferralStatus.CONVERTED
    assert not Order.objects.get(pk=order.pk).is_pending


def test_a_second_deadlock_is_not_hidden(monkeypatch) -> None:
    def always(*args: Any) -> Any:
        raise _deadlock()

    monkeypatch.setattr(orders, "_record_new", always)
    program = ProgramFactory(slug="deadlock-twice", currency="EUR")
    with pytest.raises(OperationalError):
        record_order(program, _order(program))
