"""The lifecycle's limits to the second: attribution window, validation delay, refunds."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core.factories import ProgramFactory, verified_referrer
from parrain.core.models import AuditEvent, Order, Referral, Reward, RewardRule
from parrain.core.models.choices import ReferralStatus, RewardKind, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, RefundData, record_order, record_refund
from parrain.core.services.registration import register_referee
from parrain.core.services.validation import validate_due

pytestmark = pytest.mark.django_db

WINDOW = 30
DELAY = 14
SECOND = timedelta(seconds=1)


def order(external_id: str, email: str, amount: str = "80.00", **extra: object) -> OrderData:
    return OrderData(
        external_id=external_id, email=email, amount=Decimal(amount), currency="EUR", **extra
    )


def test_attribution_window_ends_on_its_last_second() -> None:
    program = ProgramFactory(attribution_window_days=WINDOW)
    alice = verified_referrer(program, "alice@example.com")
    invited_at = timezone.now() - timedelta(days=WINDOW + 5)
    invite_by_email(alice, ["bob@example.org", "carol@example.org"], at=invited_at)
    window_end = invited_at + timedelta(days=WINDOW)

    inside = record_order(program, order("in", "bob@example.org", placed_at=window_end))
    outside = record_order(
        program, order("out", "carol@example.org", placed_at=window_end + SECOND)
    )

    assert inside.referral is not None and inside.referral.status == ReferralStatus.CONVERTED
    assert outside.referral is None
    reasons = AuditEvent.objects.filter(action="order.not_attributed").values_list("reason")
    assert list(reasons) == [("attribution_window_passed",)]


@pytest.fixture
def program_with_minimum():
    """The referrer is rewarded for orders of 50 or more."""
    program = ProgramFactory(rules=False, validation_delay_days=DELAY)
    RewardRule.objects.create(
        program=program,
        side=Side.REFERRER,
        kind=RewardKind.FIXED_AMOUNT,
        value=Decimal("10"),
        minimum_order_amount=Decimal("50"),
    )
    RewardRule.objects.create(
        program=program, side=Side.REFEREE, kind=RewardKind.PERCENTAGE, value=Decimal("15")
    )
    return program


def converted(program, email: str, external_id: str, at: datetime | None = None) -> Referral:
    code = enrol_referrer(program, "alice@example.com").code
    welcome = register_referee(program, code, email).reward
    data = order(external_id, email, welcome_code=welcome.code, placed_at=at)
    referral = record_order(program, data).referral
    assert referral.status == ReferralStatus.CONVERTED
    return referral


def test_partial_refund_below_the_minimum_cancels_the_referral(program_with_minimum) -> None:
    referral = converted(program_with_minimum, "bob@example.org", "B-1")

    record_refund(program_with_minimum, "B-1", RefundData(external_id="r", amount=Decimal("40")))

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.cancel_reason == "refunded"


def test_partial_refund_keeping_the_minimum_keeps_the_referral(program_with_minimum) -> None:
    referral = converted(program_with_minimum, "bob@example.org", "B-1")

    record_refund(program_with_minimum, "B-1", RefundData(external_id="r", amount=Decimal("30")))

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CONVERTED
    assert AuditEvent.objects.filter(action="refund.partial_kept", referral=referral).exists()


@pytest.mark.parametrize("refunded", ["80.00", "40.00"])
def test_a_refunded_order_is_not_validated(
    program_with_minimum, refunded, django_capture_on_commit_callbacks
) -> None:
    """Defence in depth: a refund written outside ``record_refund`` (a bulk import, a shop
    writing its refunded total) is still caught by the validation sweep."""
    referral = converted(program_with_minimum, "bob@example.org", "B-1")
    Order.objects.filter(external_id="B-1").update(refunded_amount=Decimal(refunded))
    later = timezone.now() + timedelta(days=DELAY, minutes=1)

    with django_capture_on_commit_callbacks(execute=True):
        assert validate_due(now=later) == 0

    referral.refresh_from_db()
    assert (referral.status, referral.cancel_reason) == (ReferralStatus.CANCELLED, "refunded")
    assert not Reward.objects.filter(side=Side.REFERRER).exists()


def test_validation_delay_ends_on_its_last_second(
    program_with_minimum, django_capture_on_commit_callbacks
) -> None:
    placed_at = (timezone.now() + 2 * SECOND).replace(microsecond=0)  # after the claim
    referral = converted(program_with_minimum, "bob@example.org", "B-1", at=placed_at)
    assert referral.converted_at == placed_at
    due = placed_at + timedelta(days=DELAY)

    with django_capture_on_commit_callbacks(execute=True):
        assert validate_due(now=due - SECOND) == 0
        assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CONVERTED
        assert validate_due(now=due) == 1

    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REWARDED and referral.validated_at == due
    assert Reward.objects.get(side=Side.REFERRER).recipient == referral.referrer
