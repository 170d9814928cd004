"""Referral squatting (issue 10 point 3): whoever "invites" an email first does not own it.

The squatter is an anonymous, unverified referrer who typed a stranger's email. Their
invitation is opened through ``issue_invitation`` (the one door every invitation, claim and
code goes through), whatever the widget does with their invitation emails.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core import signals
from parrain.core.exceptions import Refused
from parrain.core.factories import ProgramFactory, verified_referrer
from parrain.core.models import AuditEvent, Invitation, Referral, Reward
from parrain.core.models.choices import Channel, FraudAction, ReferralStatus, Side
from parrain.core.services.contacts import get_or_create_contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email, issue_invitation
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from parrain.core.services.review import cancel_referral
from parrain.core.services.validation import validate_due

pytestmark = pytest.mark.django_db

WINDOW = 30


@pytest.fixture
def program():
    return ProgramFactory(attribution_window_days=WINDOW)


def squat(program, email: str, at=None) -> Referral:
    """An unverified referrer claims ``email`` as their invitee."""
    squatter = enrol_referrer(program, "squatter@example.net").contact  # never verified
    friend, _ = get_or_create_contact(program, email)
    _, referral = issue_invitation(squatter, friend, Channel.EMAIL, at or timezone.now())
    assert referral is not None and referral.status == ReferralStatus.INVITED
    return referral


def order(external_id: str, email: str, **extra: object) -> OrderData:
    return OrderData(
        external_id=external_id, email=email, amount=Decimal("60"), currency="EUR", **extra
    )


def audit_reasons(action: str) -> list[str]:
    return list(AuditEvent.objects.filter(action=action).values_list("reason", flat=True))


def live(email: str) -> Referral:
    return Referral.objects.exclude(status=ReferralStatus.CANCELLED).get(referee__email=email)


def test_organic_order_of_a_stranger_invited_by_an_unverified_referrer_is_not_attributed(
    program,
) -> None:
    squatted = squat(program, "bob@example.org")

    outcome = record_order(program, order("organic", "bob@example.org"))

    assert outcome.referral is None
    assert audit_reasons("order.not_attributed") == ["unverified_referrer"]
    assert Referral.objects.get(pk=squatted.pk).status == ReferralStatus.INVITED


def test_organic_order_of_a_friend_invited_by_a_verified_referrer_is_attributed(program) -> None:
    alice = verified_referrer(program, "alice@example.com")
    invite_by_email(alice, ["bob@example.org"])

    outcome = record_order(program, order("organic", "bob@example.org"))

    assert outcome.referral is not None and outcome.referral.referrer == alice
    assert outcome.referral.status == ReferralStatus.CONVERTED


def test_friend_who_claimed_through_an_unverified_referrers_link_is_attributed(program) -> None:
    squatter = enrol_referrer(program, "anon@example.net")  # never verified
    register_referee(program, squatter.code, "bob@example.org")  # the friend chose this link

    outcome = record_order(program, order("o", "bob@example.org"))

    assert outcome.referral is not None and outcome.referral.referrer == squatter.contact


def test_genuine_invitation_supersedes_an_unverified_squatter(
    program, django_capture_on_commit_callbacks
) -> None:
    squatted = squat(program, "bob@example.org")
    moves: list[tuple[str, str]] = []

    def heard(sender, referral, old_status, new_status, reason, **kwargs) -> None:
        moves.append((new_status, reason))

    signals.referral_status_changed.connect(heard)
    try:
        alice = verified_referrer(program, "alice@example.com")
        [outcome] = invite_by_email(alice, ["bob@example.org"])
    finally:
        signals.referral_status_changed.disconnect(heard)

    assert outcome.invited
    squatted.refresh_from_db()
    assert squatted.status == ReferralStatus.CANCELLED
    assert squatted.cancel_reason == "superseded_unverified"
    assert moves == [(ReferralStatus.CANCELLED, "superseded_unverified")]
    assert audit_reasons("referral.superseded") == ["superseded_unverified"]
    assert live("bob@example.org").referrer == alice

    # Bob orders on his own: Alice's referral converts and rewards Alice, once.
    converted = record_order(program, order("o-1", "bob@example.org")).referral
    assert converted.referrer == alice and converted.status == ReferralStatus.CONVERTED
    later = timezone.now() + timedelta(days=program.validation_delay_days, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert validate_due(now=later) == 1
        assert validate_due(now=later) == 0
    [reward] = Reward.objects.filter(side=Side.REFERRER)
    assert reward.recipient == alice and reward.referral == converted


def test_friend_claims_through_a_genuine_link_despite_a_squatter(program) -> None:
    squatted = squat(program, "bob@example.org")
    alice = enrol_referrer(program, "alice@example.com")  # even before she verifies

    registration = register_referee(program, alice.code, "bob@example.org")

    assert registration.created and registration.reward is not None
    assert registration.referral.referrer == alice.contact
    assert registration.referral.status == ReferralStatus.REGISTERED
    assert Referral.objects.get(pk=squatted.pk).status == ReferralStatus.CANCELLED
    assert Reward.objects.get(side=Side.REFEREE).referral == registration.referral


def test_order_with_a_genuine_referral_code_is_attributed_despite_a_squatter(program) -> None:
    squat(program, "bob@example.org")
    alice = enrol_referrer(program, "alice@example.com")

    outcome = record_order(program, order("o", "bob@example.org", referral_code=alice.code))

    assert outcome.referral.referrer == alice.contact
    assert outcome.referral.status == ReferralStatus.CONVERTED
    assert audit_reasons("referral.attributed") == ["referral_code"]


def test_verified_invitation_holds_until_the_last_second_of_its_window(program) -> None:
    alice = verified_referrer(program, "alice@example.com")
    bruno = verified_referrer(program, "bruno@example.com")
    invited_at = timezone.now() - timedelta(days=40)
    invite_by_email(alice, ["bob@example.org"], at=invited_at)
    window_end = invited_at + timedelta(days=WINDOW)

    [held] = invite_by_email(bruno, ["bob@example.org"], at=window_end)
    assert not held.invited and held.reason == "already_referred"
    assert live("bob@example.org").referrer == alice

    [taken] = invite_by_email(bruno, ["bob@example.org"], at=window_end + timedelta(seconds=1))
    assert taken.invited
    assert live("bob@example.org").referrer == bruno
    old = Referral.objects.get(referrer=alice)
    assert (old.status, old.cancel_reason) == (ReferralStatus.CANCELLED, "superseded_expired")


def test_claim_and_code_of_another_referrer_within_the_window_are_refused(program) -> None:
    alice = verified_referrer(program, "alice@example.com")
    bruno = enrol_referrer(program, "bruno@example.com")
    invite_by_email(alice, ["bob@example.org"])

    with pytest.raises(Refused) as refused:
        register_referee(program, bruno.code, "bob@example.org")
    assert refused.value.reason == "already_referred"
    outcome = record_order(program, order("o", "bob@example.org", referral_code=bruno.code))
    assert outcome.referral.referrer == alice


@pytest.mark.parametrize("acted", ["registered", "converted"])
def test_a_referral_the_friend_acted_on_is_never_taken_over(program, acted) -> None:
    program.fraud_existing_customer = FraudAction.OFF  # only the already-referred rule speaks
    program.save()
    squatter = enrol_referrer(program, "anon@example.net")  # unverified
    with_code = register_referee(program, squatter.code, "bob@example.org")
    if acted == "converted":
        code = with_code.reward.code
        record_order(program, order("o", "bob@example.org", welcome_code=code))
    bruno = enrol_referrer(program, "bruno@example.com")
    months_later = timezone.now() + timedelta(days=WINDOW * 6)

    [outcome] = invite_by_email(bruno.contact, ["bob@example.org"], at=months_later)
    with pytest.raises(Refused):
        register_referee(program, bruno.code, "bob@example.org")

    assert not outcome.invited and outcome.reason == "already_referred"
    assert Referral.objects.get().referrer == squatter.contact
    assert Referral.objects.get().status == acted


def _cancelled_referral_of_alice(program) -> Referral:
    alice = verified_referrer(program, "alice@example.com")
    invite_by_email(alice, ["bob@example.org"])
    return cancel_referral(live("bob@example.org").pk, reason="owner_decision", actor="owner")


@pytest.mark.parametrize("door", ["invitation", "claim", "order"])
def test_a_cancelled_referral_does_not_block_a_new_referrer(program, door) -> None:
    cancelled = _cancelled_referral_of_alice(program)
    bruno_contact = verified_referrer(program, "bruno@example.com")
    bruno = enrol_referrer(program, "bruno@example.com")

    if door == "invitation":
        [outcome] = invite_by_email(bruno_contact, ["bob@example.org"])
        assert outcome.invited
    elif door == "claim":
        registration = register_referee(program, bruno.code, "bob@example.org")
        assert registration.created and registration.reward.referral.referrer == bruno_contact
    else:
        outcome = record_order(program, order("o", "bob@example.org", referral_code=bruno.code))
        assert outcome.referral.status == ReferralStatus.CONVERTED

    fresh = live("bob@example.org")
    assert fresh.referrer == bruno_contact and fresh.pk != cancelled.pk
    assert Referral.objects.get(pk=cancelled.pk).cancel_reason == "owner_decision"
    assert not Reward.objects.filter(referral=cancelled).exists()


def test_a_referral_cancelled_for_cause_stays_cancelled_for_its_referrer(program) -> None:
    cancelled = _cancelled_referral_of_alice(program)
    alice = cancelled.referrer

    [again] = invite_by_email(alice, ["bob@example.org"])
    registration = register_referee(program, alice.referrer_code, "bob@example.org")

    assert again.invited  # the invitation is recorded, no new referral opens
    assert not registration.created and registration.referral.pk == cancelled.pk
    assert registration.reward is None
    assert Referral.objects.count() == 1
    assert Invitation.objects.filter(referrer=alice).count() == 2
