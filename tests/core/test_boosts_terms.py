"""Which terms an invitation freezes around a boost: the exact instants, a daylight-saving
change, a friend who orders or claims after the end, a share link, a re-invitation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from parrain.core.factories import ProgramFactory, verified_referrer
from parrain.core.forms.boost import BoostForm
from parrain.core.models import AuditEvent, Invitation, Referral, Reward
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services import sharing
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.offers import referrer_terms_at, welcome_terms_at
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from parrain.core.services.validation import validate_due

from .boost_helpers import make_boost, paris

pytestmark = pytest.mark.django_db(transaction=True)

START, END = paris(2026, 12, 5, 9, 0), paris(2026, 12, 8, 0, 0)
BEFORE = paris(2026, 12, 1, 10, 0)


@pytest.fixture
def program():  # type: ignore[no-untyped-def]
    with time_machine.travel(BEFORE, tick=False):
        program = ProgramFactory()
        make_boost(
            program, START, END, welcome_offer={"kind": "percentage", "value": Decimal("30")}
        )
    return program


def _invite(referrer, email: str, at: datetime) -> Invitation:  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        outcome = invite_by_email(referrer, [email], at=at)[0]
    assert outcome.invited, outcome.reason
    return outcome.invitation


def _value(invitation: Invitation) -> Decimal:
    return Decimal(invitation.referrer_terms["value"])


def test_exact_start_is_boosted_and_exact_end_is_not(program) -> None:  # type: ignore[no-untyped-def]
    alice = verified_referrer(program, "alice@example.com")
    just_before = _invite(alice, "a@example.org", START - timedelta(microseconds=1))
    at_start = _invite(alice, "b@example.org", START)
    last = _invite(alice, "c@example.org", END - timedelta(microseconds=1))
    at_end = _invite(alice, "d@example.org", END)
    assert [_value(i) for i in (just_before, at_start, last, at_end)] == [10, 20, 20, 10]
    assert at_start.referrer_terms["source"] == "boost"
    assert at_start.referrer_terms["boost_id"] == program.boosts.get().pk
    assert at_end.referrer_terms["source"] == "rule"


def test_order_after_the_end_earns_the_boosted_reward(program) -> None:  # type: ignore[no-untyped-def]
    alice = verified_referrer(program, "alice@example.com")
    _invite(alice, "bob@example.org", START + timedelta(hours=1))
    after = END + timedelta(days=2)
    with time_machine.travel(after, tick=False):
        welcome = register_referee(program, alice.referrer_code, "bob@example.org").reward
        assert welcome.value == Decimal("30")  # the boost's welcome offer, claimed after it
        order = OrderData(
            external_id="1001",
            email="bob@example.org",
            amount=Decimal("80"),
            currency="EUR",
            welcome_code=welcome.code,
        )
        referral = record_order(program, order).referral
    assert referral is not None and referral.status == ReferralStatus.CONVERTED
    assert validate_due(now=after + timedelta(days=program.validation_delay_days + 1)) == 1
    reward = Reward.objects.get(referral=referral, side=Side.REFERRER)
    assert reward.value == Decimal("20")


def test_invitation_after_the_end_gets_the_normal_offer(program) -> None:  # type: ignore[no-untyped-def]
    alice = verified_referrer(program, "alice@example.com")
    invitation = _invite(alice, "bob@example.org", END + timedelta(minutes=1))
    assert _value(invitation) == 10
    with time_machine.travel(END + timedelta(minutes=2), tick=False):
        welcome = register_referee(program, alice.referrer_code, "bob@example.org").reward
    assert welcome.value == Decimal("15")


def test_window_typed_in_local_time_holds_over_daylight_saving_change() -> None:
    # Paris moves from UTC+1 to UTC+2 at 02:00 on 28 March 2027: 23 hours between the two
    # noons the shop owner types.
    with time_machine.travel(BEFORE, tick=False):
        program = ProgramFactory(time_zone="Europe/Paris")
        form = BoostForm(
            {
                "name": "Weekend",
                "starts_at": "2027-03-27T12:00",
                "ends_at": "2027-03-28T12:00",
                "referrer_kind": "fixed_amount",
                "referrer_value": "20",
                "referrer_validity_days": "90",
            },
            program=program,
        )
        boost = form.save(actor="test")
        assert boost is not None, form.errors
    assert boost.starts_at == datetime(2027, 3, 27, 11, 0, tzinfo=UTC)
    assert boost.ends_at == datetime(2027, 3, 28, 10, 0, tzinfo=UTC)
    assert referrer_terms_at(program, datetime(2027, 3, 28, 9, 59, tzinfo=UTC)).value == 20
    # 11:30 in Paris, summer time: still boosted; noon local: over (not one hour later).
    assert referrer_terms_at(program, paris(2027, 3, 28, 11, 30)).value == 20
    assert referrer_terms_at(program, paris(2027, 3, 28, 12, 0)).value == 10
    assert referrer_terms_at(program, datetime(2027, 3, 28, 10, 30, tzinfo=UTC)).value == 10


def _click(code: str, at: datetime) -> str:
    with time_machine.travel(at, tick=False):
        response = Client().get(f"/r/{code}")
    assert response.status_code == 302
    assert response.cookies[sharing.REFERRAL_COOKIE].value == code  # old readers unchanged
    return response.cookies[sharing.CLICK_COOKIE].value


def test_share_link_clicked_during_boost_claimed_after_end_is_boosted(program) -> None:  # type: ignore[no-untyped-def]
    alice = verified_referrer(program, "alice@example.com")
    click = _click(alice.referrer_code, START + timedelta(hours=2))
    with time_machine.travel(END + timedelta(days=1), tick=False):
        registration = register_referee(
            program, alice.referrer_code, "bob@example.org", link_click=click
        )
    referral = registration.referral
    assert referral.invited_at == START + timedelta(hours=2)
    assert Decimal(referral.referrer_terms["value"]) == 20
    assert registration.reward.value == Decimal("30")


def test_forged_or_missing_click_time_gets_the_offer_of_the_claim(program) -> None:  # type: ignore[no-untyped-def]
    alice = verified_referrer(program, "alice@example.com")
    click = _click(alice.referrer_code, START + timedelta(hours=2))
    forged = click.replace(click.split(":")[1], str(int(START.timestamp()) + 60))
    other_code = f"ZZZZ{click[4:]}"
    with time_machine.travel(END + timedelta(days=1), tick=False):
        for n, value in enumerate(("", forged, other_code)):
            registration = register_referee(
                program, alice.referrer_code, f"friend{n}@example.org", link_click=value
            )
            assert Decimal(registration.referral.referrer_terms["value"]) == 10


def test_click_older_than_the_attribution_window_is_not_honoured(program) -> None:  # type: ignore[no-untyped-def]
    alice = verified_referrer(program, "alice@example.com")
    click = _click(alice.referrer_code, START + timedelta(hours=2))
    late = START + timedelta(days=program.attribution_window_days, hours=3)
    with time_machine.travel(late, tick=False):
        registration = register_referee(
            program, alice.referrer_code, "bob@example.org", link_click=click
        )
    assert registration.referral.invited_at == late


def test_order_through_share_link_clicked_during_boost_is_dated_at_click(program) -> None:  # type: ignore[no-untyped-def]
    alice = verified_referrer(program, "alice@example.com")
    click = _click(alice.referrer_code, START + timedelta(hours=2))
    with time_machine.travel(END + timedelta(days=1), tick=False):
        order = OrderData(
            external_id="2001",
            email="bob@example.org",
            amount=Decimal("80"),
            currency="EUR",
            referral_code=alice.referrer_code,
            referral_click=click,
        )
        referral = record_order(program, order).referral
    assert referral is not None and referral.invited_at == START + timedelta(hours=2)
    assert Decimal(referral.referrer_terms["value"]) == 20


def test_reinvited_during_boost_keeps_the_better_terms(program) -> None:  # type: ignore[no-untyped-def]
    alice = verified_referrer(program, "alice@example.com")
    first = _invite(alice, "bob@example.org", BEFORE + timedelta(hours=1))
    second = _invite(alice, "bob@example.org", START + timedelta(hours=1))
    referral = Referral.objects.get(referee__email="bob@example.org")
    assert referral.invitation_id == second.pk and first.pk != second.pk
    assert Decimal(referral.referrer_terms["value"]) == 20
    event = AuditEvent.objects.get(action="referral.terms_improved")
    assert event.data["previous_invitation"] == first.pk
    # Invited again after the boost: the boosted terms stay.
    _invite(alice, "bob@example.org", END + timedelta(hours=1))
    referral.refresh_from_db()
    assert referral.invitation_id == second.pk
    with time_machine.travel(END + timedelta(hours=2), tick=False):
        welcome = register_referee(program, alice.referrer_code, "bob@example.org").reward
    assert welcome.value == Decimal("30")


def test_no_boost_means_the_normal_offer_at_any_date() -> None:
    program = ProgramFactory()
    assert referrer_terms_at(program, START).source == "rule"
    assert welcome_terms_at(program, START).value == Decimal("15")
