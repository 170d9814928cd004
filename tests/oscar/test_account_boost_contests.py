"""The customer's account page: the offer in force (boosted, with its end and countdown, while
a boost runs; the normal one by itself afterwards) and their tickets in open prize draws."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from oscar.test.factories import UserFactory

from parrain.core.models import Boost, Contact, Program, RewardRule
from parrain.core.models.choices import RewardKind, Side
from parrain.core.services import contests
from parrain.core.services.enrolment import enrol_referrer
from tests.core.contest_helpers import open_contest

from .conftest import shopper_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
PAGE = "/shop/accounts/referrals/"


def boost(program: Program, start: Any, end: Any) -> Boost:
    rule = RewardRule.objects.create(
        program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=Decimal("25")
    )
    return Boost.objects.create(
        program=program,
        name="Weekend x2.5",
        labels={"en": "Bigger reward until Sunday", "fr": "Récompense boostée jusqu'à dimanche"},
        starts_at=start,
        ends_at=end,
        referrer_rule=rule,
    )


@pytest.fixture
def alice(program: Program) -> Any:
    user = UserFactory(email="alice@example.com", first_name="Alice")
    enrol_referrer(program, user.email)
    return user


def test_account_page_shows_the_boosted_offer_with_its_end_then_the_normal_one(
    program: Program, alice: Any
) -> None:
    now = timezone.now()
    running = boost(program, now - timedelta(hours=1), now + timedelta(days=2))
    client = shopper_for(alice).client

    page = client.get(PAGE).content.decode()

    offer = page.split('id="parrain-offer"')[1].split("</section>")[0]
    assert "Bigger reward until Sunday" in offer
    assert "parrain-offer--boosted" in offer
    assert f'data-parrain-ends-at="{timezone.localtime(running.ends_at).isoformat()}"' in offer
    assert "data-parrain-countdown" in offer
    assert "parrain/countdown.js" in page

    with time_machine.travel(running.ends_at + timedelta(seconds=1)):
        after = client.get(PAGE).content.decode()
    offer = after.split('id="parrain-offer"')[1].split("</section>")[0]
    assert "Bigger reward until Sunday" not in offer
    assert "parrain-offer--boosted" not in offer
    assert "for each friend who orders" in offer  # the normal offer again


def test_account_page_without_a_boost_shows_the_normal_offer(program: Program, alice: Any) -> None:
    page = shopper_for(alice).client.get(PAGE).content.decode()
    offer = page.split('id="parrain-offer"')[1].split("</section>")[0]
    assert "parrain-offer--boosted" not in offer
    assert "for each friend who orders" in offer


def test_account_page_lists_tickets_in_open_contests_with_the_public_page(
    program: Program, referred_order: Any
) -> None:
    contest = open_contest(
        program,
        start=timezone.now() - timedelta(days=1),
        names={"en": "Summer prize draw", "fr": "Grand tirage d'été"},
        ticket_source="invitation_sent",
        ticket_cap=5,
    )

    page = shopper_for(referred_order.alice).client.get(PAGE).content.decode()

    table = page.split('id="parrain-my-contests"')[1].split("</table>")[0]
    assert "Summer prize draw" in table  # the public name in the page's language
    assert f'href="/contest/{contest.public_id}/"' in table
    assert 'data-tickets="1"' in table and "1 ticket" in table
    assert "(at most 5)" in table
    # their own line in the entries file the draw will publish
    alice = Contact.objects.get(program=program, email_normalized="alice@example.com")
    entrant = contests.entrant_id(contest, alice.pk)
    assert f"<code data-entrant>{entrant}</code>" in table


def test_account_page_has_no_tickets_table_without_open_contests(
    program: Program, alice: Any
) -> None:
    page = shopper_for(alice).client.get(PAGE).content.decode()
    assert 'id="parrain-my-contests"' not in page
