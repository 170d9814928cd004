"""Every fraud rule, refused and accepted, with the reason the audit log keeps."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core.exceptions import CapReached, Refused
from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Invitation, Referral, Reward
from parrain.core.models.choices import FraudAction, ReferralStatus, RewardStatus, Side
from parrain.core.services.contacts import ContactData, upsert_contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from parrain.core.services.review import approve_referral, reject_referral

pytestmark = pytest.mark.django_db


def order(external_id: str, email: str, **extra: object) -> OrderData:
    return OrderData(
        external_id=external_id, email=email, amount=Decimal("60"), currency="EUR", **extra
    )


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def alice(program):
    return enrol_referrer(program, "alice.martin@gmail.com", first_name="Alice")


def reasons(action: str) -> list[str]:
    return list(AuditEvent.objects.filter(action=action).values_list("reason", flat=True))


@pytest.mark.parametrize(
    "alias",
    ["Alice.Martin@gmail.com", "alicemartin+promo@gmail.com", "a.l.i.c.e.martin@googlemail.com"],
)
def test_self_referral_with_email_variant_is_refused(program, alice, alias) -> None:
    with pytest.raises(Refused) as refused:
        register_referee(program, alice.code, alias)
    assert refused.value.reason == "self_referral"
    assert reasons("registration.refused") == ["self_referral"]
    assert not Reward.objects.exists()


def test_self_referral_by_invitation_is_not_sent(program, alice) -> None:
    [outcome] = invite_by_email(alice.contact, ["alice.martin+2@gmail.com"])
    assert not outcome.invited and outcome.reason == "self_referral"
    assert not Invitation.objects.exists()


def test_different_person_is_accepted(program, alice) -> None:
    registration = register_referee(program, alice.code, "martin.alice@gmail.com")
    assert registration.reward is not None
    assert registration.referral.status == ReferralStatus.REGISTERED


def test_self_referral_rule_off_lets_it_through(program, alice) -> None:
    program.fraud_self_referral = FraudAction.OFF
    program.save()
    assert register_referee(program, alice.code, "alicemartin+x@gmail.com").reward is not None


def test_existing_customer_cannot_claim_welcome_offer(program, alice) -> None:
    upsert_contact(
        program,
        ContactData(email="bob@example.org", first_order_at=timezone.now() - timedelta(days=200)),
    )
    with pytest.raises(Refused) as refused:
        register_referee(program, alice.code, "bob@example.org")
    assert refused.value.reason == "existing_customer"


def test_existing_customer_order_does_not_convert(program, alice) -> None:
    registration = register_referee(program, alice.code, "bob@example.org")
    # Bob had ordered before: the shop sends that old order late; it converts nothing.
    old = record_order(
        program, order("old-1", "bob@example.org", placed_at=timezone.now() - timedelta(days=30))
    )
    assert old.referral is None
    assert reasons("order.not_attributed") == ["order_before_invitation"]
    record_order(program, order("new-1", "bob@example.org", welcome_code=registration.reward.code))
    referral = Referral.objects.get(pk=registration.referral.pk)
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.cancel_reason == "existing_customer"
    assert Reward.objects.get(side=Side.REFEREE).status == RewardStatus.CANCELLED


def test_second_order_with_welcome_code_is_not_a_second_conversion(program, alice) -> None:
    registration = register_referee(program, alice.code, "bob@example.org")
    code = registration.reward.code
    first = record_order(program, order("o-1", "bob@example.org", welcome_code=code))
    second = record_order(program, order("o-2", "bob@example.org", welcome_code=code))
    assert first.referral is not None and first.referral.status == ReferralStatus.CONVERTED
    assert second.referral is None
    assert reasons("order.not_attributed") == ["referral_converted"]


def test_welcome_code_of_someone_else_is_not_attributed(program, alice) -> None:
    registration = register_referee(program, alice.code, "bob@example.org")
    outcome = record_order(
        program, order("o-3", "carol@example.org", welcome_code=registration.reward.code)
    )
    assert outcome.referral is None
    assert reasons("order.not_attributed") == ["welcome_code_other_person"]


def test_already_referred_referee_cannot_be_taken_by_another_referrer(program, alice) -> None:
    bruno = enrol_referrer(program, "bruno@example.com")
    register_referee(program, alice.code, "bob@example.org")
    with pytest.raises(Refused) as refused:
        register_referee(program, bruno.code, "bob@example.org")
    assert refused.value.reason == "already_referred"
    [outcome] = invite_by_email(bruno.contact, ["bob@example.org"])
    assert not outcome.invited and outcome.reason == "already_referred"
    assert Referral.objects.get().referrer == alice.contact


def test_already_referred_order_with_other_code_stays_with_first_referrer(program, alice):
    bruno = enrol_referrer(program, "bruno@example.com")
    register_referee(program, alice.code, "bob@example.org")
    outcome = record_order(program, order("o-4", "bob@example.org", referral_code=bruno.code))
    assert outcome.referral.referrer == alice.contact
    assert "already_referred" in reasons("order.not_attributed")


def test_disposable_email_waits_for_review_then_approval(program, alice) -> None:
    registration = register_referee(program, alice.code, "bob@yopmail.com")
    outcome = record_order(
        program, order("o-5", "bob@yopmail.com", welcome_code=registration.reward.code)
    )
    assert outcome.referral.status == ReferralStatus.REVIEW
    assert outcome.referral.review_reason == "disposable_email"
    approved = approve_referral(outcome.referral.pk, actor="owner")
    assert approved.status == ReferralStatus.CONVERTED
    assert AuditEvent.objects.filter(action="referral.approved", actor="owner").exists()


def test_disposable_email_rejected_in_review_cancels_welcome(program, alice) -> None:
    registration = register_referee(program, alice.code, "bob@mailinator.com")
    outcome = record_order(
        program, order("o-6", "bob@mailinator.com", welcome_code=registration.reward.code)
    )
    rejected = reject_referral(outcome.referral.pk, actor="owner")
    assert rejected.status == ReferralStatus.CANCELLED
    assert Reward.objects.get(side=Side.REFEREE).status == RewardStatus.CANCELLED


def test_disposable_email_set_to_block_is_refused_at_claim(program, alice) -> None:
    program.fraud_disposable_email = FraudAction.BLOCK
    program.save()
    with pytest.raises(Refused) as refused:
        register_referee(program, alice.code, "bob@yopmail.com")
    assert refused.value.reason == "disposable_email"


def test_daily_invitation_cap(program, alice) -> None:
    program.daily_invitation_cap = 3
    program.save()
    invite_by_email(alice.contact, ["f1@example.org", "f2@example.org"])
    with pytest.raises(CapReached):
        invite_by_email(alice.contact, ["f3@example.org", "f4@example.org"])
    assert Invitation.objects.count() == 2
    assert reasons("invitation.refused") == ["daily_invitation_cap"]
    tomorrow = timezone.now() + timedelta(days=1)
    invite_by_email(alice.contact, ["f3@example.org", "f4@example.org"], at=tomorrow)
    assert Invitation.objects.count() == 4


def test_monthly_reward_cap_holds_extra_conversions_for_review(program, alice) -> None:
    program.monthly_reward_cap = 2
    program.save()
    statuses = []
    for n in range(3):
        email = f"friend{n}@example.org"
        registration = register_referee(program, alice.code, email)
        outcome = record_order(
            program, order(f"cap-{n}", email, welcome_code=registration.reward.code)
        )
        statuses.append(outcome.referral.status)
    assert statuses == ["converted", "converted", "review"]
    assert Referral.objects.get(status="review").review_reason == "monthly_reward_cap"
