"""Several drainers per program (``PARRAIN_ORDER_DRAINS``): accepted orders are spread over
drain slots by their customer, each slot drained by one drainer at a time, so a friend's
orders are still attributed in id order while different friends drain in parallel."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection, connections

from parrain.core import tasks
from parrain.core.factories import ProgramFactory
from parrain.core.models import Order, Program, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services import orders
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import OrderData, accept_order, drain_slot, record_order

pytestmark = pytest.mark.django_db(transaction=True)


def _order(external_id: str, email: str, code: str) -> OrderData:
    return OrderData(
        external_id=external_id,
        email=email,
        amount=Decimal("60"),
        currency="EUR",
        referral_code=code,
    )


def _orders(program: Program) -> list[OrderData]:
    """A friend's two orders back to back, then six other friends of the same referrer."""
    code = enrol_referrer(program, "alice@example.com").code
    friend = [_order(f"F-{n}", "Friend@Example.org", code) for n in (1, 2)]
    return friend + [_order(f"O-{n}", f"other{n}@example.org", code) for n in range(6)]


def test_one_customers_orders_share_a_slot_and_the_slots_spread_customers() -> None:
    code = "CODE"
    assert drain_slot(_order("A-1", "Friend@example.org", code)) == drain_slot(
        _order("A-2", "friend@EXAMPLE.org", code)
    )
    by_customer_id = OrderData(
        external_id="A-3", customer_external_id="C-9", amount=Decimal("1"), currency="EUR"
    )
    assert drain_slot(by_customer_id) == drain_slot(
        by_customer_id.model_copy(update={"external_id": "A-4"})
    )
    spread = {drain_slot(_order(f"B-{n}", f"f{n}@example.org", code)) for n in range(40)}
    assert spread == set(range(4))  # the default PARRAIN_ORDER_DRAINS


def test_concurrent_drainers_convert_a_friends_first_order_and_match_the_synchronous_path(
    monkeypatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent drainers: PostgreSQL")
    monkeypatch.setattr(tasks.attribute_accepted_orders, "delay", lambda *args: None)
    synchronous = ProgramFactory(slug="drains-sync")
    for data in _orders(synchronous):
        record_order(synchronous, data)
    background = ProgramFactory(slug="drains-async")
    accepted = [accept_order(background, data).order for data in _orders(background)]
    slots = sorted({order.intake["drain"] for order in accepted})
    assert len(slots) > 1  # the other friends are spread over several slots

    # Four threads, each draining every slot, two of them starting with the slot of the
    # friend's second order (were it not the first's, it would convert), two ending with
    # it: the friend's slot is contended, and different friends of one referrer drain at
    # the same time.
    errors: list[BaseException] = []

    def drainer(turn: list[int]) -> None:
        try:
            for slot in turn:
                orders.drain_accepted(background.pk, slot)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    second_first = sorted(slots, key=lambda slot: slot != accepted[1].intake["drain"])
    turns = [second_first, second_first, second_first[::-1], second_first[::-1]]
    threads = [threading.Thread(target=drainer, args=(turn,)) for turn in turns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert not Order.objects.filter(program=background, intake__isnull=False).exists()

    # The friend's first order converted their referral; the second did not.
    first, second = (Order.objects.get(program=background, external_id=f"F-{n}") for n in (1, 2))
    referral = Referral.objects.get(program=background, referee__email="Friend@Example.org")
    assert referral.status == ReferralStatus.CONVERTED
    assert referral.order_id == first.pk and first.referral_id == referral.pk
    assert second.referral_id is None

    # Every friend ends as with concurrent synchronous requests: the same statuses.
    def statuses(program: Program) -> Counter:
        return Counter(Referral.objects.filter(program=program).values_list("status", flat=True))

    assert statuses(background) == statuses(synchronous)
    assert Order.objects.filter(program=background, referral__isnull=False).count() == 7


def test_an_order_failing_once_in_its_unit_runs_again_before_the_customers_next(
    monkeypatch,
) -> None:
    """A friend's first order fails once (a deadlock with another drainer, say): it runs
    again alone before their second order, which therefore does not take the conversion."""
    monkeypatch.setattr(tasks.attribute_accepted_orders, "delay", lambda *args: None)
    program = ProgramFactory(slug="drains-retry")
    code = enrol_referrer(program, "alice@example.com").code
    first = accept_order(program, _order("F-1", "friend@example.org", code)).order
    accept_order(program, _order("F-2", "friend@example.org", code))
    real, failures = orders._record_new, []

    def fails_once(program_: Program, data: OrderData, accepted: Order | None = None) -> object:
        if data.external_id == "F-1" and not failures:
            failures.append(data.external_id)
            raise RuntimeError("deadlock detected")
        return real(program_, data, accepted)

    monkeypatch.setattr(orders, "_record_new", fails_once)
    assert orders.drain_accepted(program.pk) == 2
    assert failures == ["F-1"]
    referral = Referral.objects.get(program=program, referee__email="friend@example.org")
    assert referral.order_id == first.pk and referral.status == ReferralStatus.CONVERTED


def test_draining_the_slot_of_a_friends_second_order_first_still_converts_the_first(
    monkeypatch,
) -> None:
    """Whichever slot a drainer takes first, a friend's second order cannot overtake the
    first: it is in the same slot, behind it."""
    monkeypatch.setattr(tasks.attribute_accepted_orders, "delay", lambda *args: None)
    program = ProgramFactory(slug="drains-second-first")
    code = enrol_referrer(program, "alice@example.com").code
    first = accept_order(program, _order("F-1", "friend@example.org", code)).order
    second = accept_order(program, _order("F-2", "Friend@example.org", code)).order
    assert orders.drain_accepted(program.pk, second.intake["drain"]) >= 1
    orders.drain_accepted(program.pk)
    referral = Referral.objects.get(program=program)  # the friend's only one
    assert referral.order_id == first.pk and referral.status == ReferralStatus.CONVERTED
    assert Order.objects.get(pk=second.pk).referral_id is None
