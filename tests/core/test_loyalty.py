"""The loyalty points ledger: idempotent, never overdrawn, reversed on refund, erased."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import pytest
from django.db import connection

from parrain.core.exceptions import InvalidInput
from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import AuditEvent, LoyaltyEntry, LoyaltyKind, Reward, RewardRule
from parrain.core.models.choices import RewardKind, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.erasure import erase_contact
from parrain.core.services.loyalty import balance, record_action
from parrain.core.services.orders import OrderData, RefundData, record_order, record_refund
from parrain.core.services.registration import register_referee
from parrain.core.services.rewards import cancel_reward

pytestmark = pytest.mark.django_db


def _review(contact, points=10, **extra):
    return record_action(
        contact.program, contact, LoyaltyKind.REVIEW, points, source="api", **extra
    )


def test_replayed_external_id_answers_the_first_line_and_stores_one() -> None:
    contact = ContactFactory()
    first, created = _review(contact, 10, external_id="rev-1")
    again, created_again = _review(contact, 99, external_id="rev-1")

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.points == 10
    assert LoyaltyEntry.objects.count() == 1
    assert balance(contact) == 10
    assert AuditEvent.objects.filter(action="loyalty.recorded").count() == 1


def test_spending_more_than_the_balance_is_refused_and_nothing_is_stored() -> None:
    contact = ContactFactory()
    _review(contact, 10)

    with pytest.raises(InvalidInput) as refused:
        record_action(
            contact.program, contact, LoyaltyKind.ADJUSTMENT, -11, source="admin", reason="typo"
        )

    assert refused.value.status == 422 and refused.value.field == "points"
    assert LoyaltyEntry.objects.count() == 1
    assert balance(contact) == 10


def test_a_reversal_may_take_the_balance_below_zero() -> None:
    contact = ContactFactory()
    earned, _ = _review(contact, 10)
    record_action(contact.program, contact, LoyaltyKind.ADJUSTMENT, -10, source="admin", reason="x")

    record_action(
        contact.program, contact, LoyaltyKind.REVERSAL, -10, source="api", reversal_of=earned
    )

    assert balance(contact) == -10


def test_an_adjustment_needs_a_reason_and_a_custom_action_a_name() -> None:
    contact = ContactFactory()
    with pytest.raises(InvalidInput) as no_reason:
        record_action(contact.program, contact, LoyaltyKind.ADJUSTMENT, 5, source="admin")
    with pytest.raises(InvalidInput) as no_name:
        record_action(contact.program, contact, LoyaltyKind.CUSTOM, 5, source="api")
    assert (no_reason.value.field, no_name.value.field) == ("reason", "custom_kind")
    assert not LoyaltyEntry.objects.exists()


def _points_program():
    return ProgramFactory(loyalty_points_per_unit=Decimal("1.5"))


def _order(program, external_id="A-1", amount="99.99"):
    data = OrderData(
        external_id=external_id, email="eve@example.com", amount=Decimal(amount), currency="EUR"
    )
    return record_order(program, data).order


def test_a_recorded_order_earns_purchase_points_rounded_down_once() -> None:
    program = _points_program()
    order = _order(program)
    _order(program)  # the shop sends it again

    entry = LoyaltyEntry.objects.get()
    assert (entry.kind, entry.points, entry.order_id) == (LoyaltyKind.PURCHASE, 149, order.pk)
    assert entry.external_id == "order:A-1"


def test_orders_earn_nothing_when_the_program_gives_no_points() -> None:
    _order(ProgramFactory())
    assert not LoyaltyEntry.objects.exists()


def test_a_full_refund_takes_back_all_purchase_points_once() -> None:
    program = _points_program()
    order = _order(program, amount="100")
    refund = RefundData(external_id="R-1")
    record_refund(program, "A-1", refund)
    record_refund(program, "A-1", refund)

    assert balance(order.contact) == 0
    reversal = LoyaltyEntry.objects.get(kind=LoyaltyKind.REVERSAL)
    assert reversal.points == -150 and reversal.reversal_of.kind == LoyaltyKind.PURCHASE


def test_partial_refunds_take_back_points_in_proportion_rounded_down() -> None:
    program = _points_program()
    order = _order(program, amount="100")  # 150 points

    record_refund(program, "A-1", RefundData(external_id="R-1", amount=Decimal("33.33")))
    assert balance(order.contact) == 150 - 49  # 49.995 taken back, rounded down
    record_refund(program, "A-1", RefundData(external_id="R-1", amount=Decimal("33.33")))
    assert balance(order.contact) == 101
    record_refund(program, "A-1", RefundData(external_id="R-2"))  # the rest
    assert balance(order.contact) == 0
    assert LoyaltyEntry.objects.filter(kind=LoyaltyKind.REVERSAL).count() == 2


def test_a_loyalty_points_reward_credits_the_ledger_once() -> None:
    program = ProgramFactory(rules=False)
    RewardRule.objects.create(
        program=program, side=Side.REFEREE, kind=RewardKind.LOYALTY_POINTS, value=Decimal("500")
    )
    alice = enrol_referrer(program, "alice@example.com")
    first = register_referee(program, alice.code, "bob@example.org")
    register_referee(program, alice.code, "bob@example.org")

    entry = LoyaltyEntry.objects.get()
    assert (entry.kind, entry.points) == (LoyaltyKind.REWARD, 500)
    assert entry.external_id == f"reward:{first.reward.pk}"
    assert balance(first.referral.referee) == 500


def test_a_cancelled_loyalty_points_reward_takes_its_points_back_once() -> None:
    program = ProgramFactory(rules=False)
    RewardRule.objects.create(
        program=program, side=Side.REFEREE, kind=RewardKind.LOYALTY_POINTS, value=Decimal("500")
    )
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward

    cancel_reward(reward, "test")
    cancel_reward(Reward.objects.get(pk=reward.pk), "test")

    assert balance(reward.recipient) == 0
    assert LoyaltyEntry.objects.filter(kind=LoyaltyKind.REVERSAL).count() == 1


def test_erasing_a_contact_deletes_their_ledger_and_keeps_others() -> None:
    contact = ContactFactory()
    other = ContactFactory(program=contact.program)
    _review(contact, 10)
    _review(other, 7)

    erase_contact(contact, actor="test")

    assert not LoyaltyEntry.objects.filter(contact=contact).exists()
    assert balance(other) == 7


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_concurrent_actions_for_one_contact_end_with_the_exact_balance() -> None:
    # Given 100 points, when 20 spends of 10 and 20 earns of 1 arrive at once,
    contact = ContactFactory()
    _review(contact, 100)
    barrier = Barrier(40)

    def act(n: int) -> bool:
        try:
            barrier.wait(timeout=30)
            kind, points = (LoyaltyKind.ADJUSTMENT, -10) if n % 2 else (LoyaltyKind.REVIEW, 1)
            record_action(contact.program, contact, kind, points, source="api", reason="spent")
            return True
        except InvalidInput:
            return False
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=40) as pool:
        done = list(pool.map(act, range(40)))

    # then every earn is stored, spends stop at zero and the balance is exact, never below.
    spent = sum(ok for n, ok in enumerate(done) if n % 2)
    assert sum(ok for n, ok in enumerate(done) if not n % 2) == 20
    assert 10 <= spent <= 12
    assert balance(contact) == 100 + 20 - 10 * spent >= 0
    assert LoyaltyEntry.objects.filter(contact=contact).count() == 1 + 20 + spent
