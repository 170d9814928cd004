"""What people read in emails and on the referrer's side: no "Bonjour ," without a name, no
offer condition said twice, dates for the reader, no email local part as a name, rewards
waiting for validation with their day (issue 15 §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.messaging import variables
from parrain.core.messaging.templates import compose, preview
from parrain.core.models import Referral, RewardRule
from parrain.core.models.choices import MessageChannel, MessageKind, ReferralStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.pending import pending_rewards, pending_summary
from parrain.core.services.registration import register_referee

from .test_message_templates import invitation_message

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
FIRST_ORDER = {"fr": "-15 % sur votre première commande", "en": "15% off your first order"}


@pytest.mark.parametrize(("language", "greeting"), [("fr", "Bonjour,"), ("en", "Hello,")])
def test_greeting_without_a_name_has_no_stray_space(language: str, greeting: str) -> None:
    message, _alice = invitation_message(ProgramFactory(name="Lumen"), language=language)
    text = compose(message).text
    assert greeting in text and greeting.replace(",", " ,") not in text


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", [MessageKind.INCITATION, MessageKind.BOOST_ANNOUNCEMENT])
def test_offer_label_carrying_its_condition_is_not_followed_by_it_again(
    kind: str, language: str
) -> None:
    program = ProgramFactory(name="Lumen", languages=["fr", "en"])
    RewardRule.objects.filter(program=program, side=Side.REFEREE).update(
        labels={"fr": FIRST_ORDER["fr"], "en": FIRST_ORDER["en"]}
    )
    text = preview(program, kind, MessageChannel.EMAIL, language).text
    assert "première commande sur leur première commande" not in text
    assert "on their first order" not in text and "sur leur première commande" not in text


def test_dates_in_emails_are_written_for_the_reader() -> None:
    day = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January in Paris
    program = ProgramFactory(time_zone="Europe/Paris")
    with translation.override("fr"):
        assert variables._date(day, program) == "1 janvier 2027"
    with translation.override("en"):
        assert variables._date(day, program) == "Jan. 1, 2027"


def test_a_friend_without_a_first_name_is_not_named_after_their_email() -> None:
    friend = ContactFactory(email="jean.dupont42@example.org", first_name="")
    assert friend.display_name == ""
    assert "jean.dupont42" not in friend.display_name


def _converted(program, *, at: datetime) -> Referral:  # type: ignore[no-untyped-def]
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice")
    invite_by_email(alice.contact, ["bob@example.org"])
    welcome = register_referee(program, alice.code, "bob@example.org").reward.code
    order = OrderData(
        external_id="o-1",
        email="bob@example.org",
        amount=Decimal("60"),
        currency="EUR",
        welcome_code=welcome,
        placed_at=at,
    )
    referral = record_order(program, order).referral
    assert referral.status == ReferralStatus.CONVERTED
    return referral


@time_machine.travel(NOW, tick=False)
def test_referrer_sees_a_pending_reward_and_its_validation_day() -> None:
    program = ProgramFactory(validation_delay_days=14, time_zone="Europe/Paris")
    referral = _converted(program, at=timezone.now())

    pending = pending_rewards(referral.referrer, "en")

    assert [p.validated_on for p in pending] == [NOW + timedelta(days=14)]
    assert pending[0].reward == "€10 off"
    with translation.override("en"):
        assert pending_summary(referral.referrer, pending) == (
            "1 reward pending: validated on 12/18/2026 if the order is not returned."
        )
    with translation.override("fr"):
        french = pending_summary(referral.referrer, pending)
    assert "18/12/2026" in french  # the French catalog words the rest at integration
