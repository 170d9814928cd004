"""The referral lifecycle through the services, as a shop would drive it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Referral, Reward
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, RefundData, record_order, record_refund
from parrain.core.services.registration import register_referee
from parrain.core.services.validation import validate_due

pytestmark = pytest.mark.django_db(transaction=True)


def _order(external_id: str, email: str, **extra: object) -> OrderData:
    return OrderData(
        external_id=external_id, email=email, amount=Decimal("80.00"), currency="EUR", **extra
    )


def test_referee_first_order_with_welcome_code_rewards_referrer_after_delay() -> None:
    program = ProgramFactory()
    enrolment = enrol_referrer(program, "Alice@Example.com", first_name="Alice")
    outcomes = invite_by_email(enrolment.contact, ["bob@example.org"])
    assert outcomes[0].invited
    assert "Alice" in mail.outbox[0].body and mail.outbox[0].to == ["bob@example.org"]

    registration = register_referee(program, enrolment.code, "bob@example.org", consent=True)
    welcome = registration.reward
    assert welcome is not None and welcome.code
    assert registration.referral.referee.consent_recontact is True

    outcome = record_order(program, _order("1001", "bob@example.org", welcome_code=welcome.code))
    referral = Referral.objects.get(pk=outcome.referral.pk)
    assert referral.status == ReferralStatus.CONVERTED

    # Not yet: the validation delay has not passed.
    assert validate_due() == 0
    later = timezone.now() + timedelta(days=program.validation_delay_days, minutes=1)
    assert validate_due(now=later) == 1
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REWARDED
    reward = Reward.objects.get(referral=referral, side=Side.REFERRER)
    assert reward.recipient.email == "Alice@Example.com"
    assert reward.value == Decimal("10")
    assert any(reward.code in m.body for m in mail.outbox)
    actions = list(AuditEvent.objects.filter(referral=referral).values_list("action", flat=True))
    assert "referral.attributed" in actions and "referral.validated" in actions


def test_refund_before_validation_cancels_referral() -> None:
    program = ProgramFactory()
    enrolment = enrol_referrer(program, "alice@example.com")
    registration = register_referee(program, enrolment.code, "bob@example.org")
    record_order(program, _order("1002", "bob@example.org", welcome_code=registration.reward.code))
    record_refund(program, "1002", RefundData(external_id="r1"))
    referral = Referral.objects.get(pk=registration.referral.pk)
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.cancel_reason == "refunded"
    later = timezone.now() + timedelta(days=60)
    assert validate_due(now=later) == 0
    assert not Reward.objects.filter(side=Side.REFERRER).exists()


def test_same_order_twice_converts_once() -> None:
    program = ProgramFactory()
    enrolment = enrol_referrer(program, "alice@example.com")
    register_referee(program, enrolment.code, "bob@example.org")
    first = record_order(program, _order("1003", "bob@example.org"))
    second = record_order(program, _order("1003", "bob@example.org"))
    assert first.created and not second.created
    assert first.order.pk == second.order.pk
