"""Attribution window, lost reward tasks, refusal replays and erasure of people."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from parrain.core.factories import ProgramFactory, verified_referrer
from parrain.core.models import AuditEvent, Contact, Invitation, Order, Referral, Reward
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from parrain.core.services.validation import STUCK_AFTER, validate_due

pytestmark = pytest.mark.django_db(transaction=True)


def order(external_id: str, email: str, at=None, **extra: object) -> OrderData:
    return OrderData(
        external_id=external_id,
        email=email,
        amount=Decimal("50.00"),
        currency="EUR",
        placed_at=at,
        **extra,
    )


def not_attributed_reasons(program) -> list[str]:
    return list(
        AuditEvent.objects.filter(program=program, action="order.not_attributed").values_list(
            "reason", flat=True
        )
    )


def test_order_by_email_after_the_attribution_window_is_not_attributed() -> None:
    program = ProgramFactory(attribution_window_days=30)
    alice = verified_referrer(program, "alice@example.com")
    invited_at = timezone.now() - timedelta(days=45)
    invite_by_email(alice, ["bob@example.org"], at=invited_at)

    outcome = record_order(program, order("late", "bob@example.org", at=timezone.now()))

    assert outcome.referral is None
    assert Referral.objects.get(referee__email="bob@example.org").status == ReferralStatus.INVITED
    assert not_attributed_reasons(program) == ["attribution_window_passed"]


def test_a_fresh_invitation_reopens_the_window() -> None:
    program = ProgramFactory(attribution_window_days=30)
    alice = verified_referrer(program, "alice@example.com")
    invite_by_email(alice, ["bob@example.org"], at=timezone.now() - timedelta(days=45))
    invite_by_email(alice, ["bob@example.org"], at=timezone.now() - timedelta(days=2))

    outcome = record_order(program, order("recent", "bob@example.org"))

    assert outcome.referral is not None and outcome.referral.status == ReferralStatus.CONVERTED


def test_window_of_zero_days_means_no_limit() -> None:
    program = ProgramFactory(attribution_window_days=0)
    alice = verified_referrer(program, "alice@example.com")
    invite_by_email(alice, ["bob@example.org"], at=timezone.now() - timedelta(days=400))

    assert record_order(program, order("old", "bob@example.org")).referral is not None


def test_welcome_code_is_bound_by_its_own_validity_not_the_window() -> None:
    program = ProgramFactory(attribution_window_days=7)
    code = enrol_referrer(program, "alice@example.com").code
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=20)):
        welcome = register_referee(program, code, "bob@example.org").reward

    outcome = record_order(program, order("w", "bob@example.org", welcome_code=welcome.code))

    assert outcome.referral is not None and outcome.referral.status == ReferralStatus.CONVERTED


def test_a_lost_reward_task_is_enqueued_again_by_the_sweep() -> None:
    program = ProgramFactory()
    code = enrol_referrer(program, "alice@example.com").code
    welcome = register_referee(program, code, "bob@example.org").reward
    record_order(program, order("1", "bob@example.org", welcome_code=welcome.code))
    later = timezone.now() + timedelta(days=program.validation_delay_days, minutes=1)

    with mock.patch("parrain.core.tasks.issue_referrer_reward.delay") as lost:
        assert validate_due(now=later) == 1
    assert lost.call_count == 1  # the broker swallowed it
    referral = Referral.objects.get(referee__email="bob@example.org")
    assert referral.status == ReferralStatus.VALIDATED

    validate_due(now=later + STUCK_AFTER / 2)  # too soon to call it lost
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.VALIDATED

    validate_due(now=later + STUCK_AFTER + timedelta(minutes=1))
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.REWARDED
    assert Reward.objects.filter(referral=referral, side=Side.REFERRER).count() == 1
    validate_due(now=later + STUCK_AFTER * 3)  # nothing stuck any more, no second reward
    assert Reward.objects.filter(referral=referral, side=Side.REFERRER).count() == 1


def test_a_refused_order_answers_the_same_refusal_when_replayed() -> None:
    program = ProgramFactory()
    code = enrol_referrer(program, "alice@example.com").code
    welcome = register_referee(program, code, "bob@example.org").reward
    record_order(program, order("old", "bob@example.org", at=timezone.now() - timedelta(days=9)))
    payload = order("new", "bob@example.org", welcome_code=welcome.code)

    first = record_order(program, payload)
    replay = record_order(program, payload)

    assert first.referral.status == ReferralStatus.CANCELLED
    assert first.referral.cancel_reason == "existing_customer"
    assert replay.created is False and replay.referral.pk == first.referral.pk
    assert Order.objects.get(external_id="new").referral_id == first.referral.pk


def test_erasing_a_referee_or_the_whole_program_is_possible() -> None:
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com")
    register_referee(program, alice.code, "bob@example.org")
    record_order(program, order("2", "bob@example.org"))

    Contact.objects.get(email="bob@example.org").delete()  # a GDPR erasure request
    assert not Referral.objects.filter(program=program).exists()
    assert not Invitation.objects.filter(program=program).exists()
    assert Order.objects.get(external_id="2").contact is None  # revenue figures keep the order

    register_referee(program, alice.code, "carol@example.org")
    program.delete()
    assert not Contact.objects.filter(email__in=["alice@example.com", "carol@example.org"]).exists()
