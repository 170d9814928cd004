"""The customer's account page: a reward a friend's order earned, waiting for validation,
with its day; friends named by the name they gave, never their email (issue 15 §3)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from oscar.test.factories import UserFactory

from parrain.core.models import Program
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

from .conftest import shopper_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
PAGE = "/shop/accounts/referrals/"


@pytest.fixture
def alice(program: Program) -> Any:
    """Alice's friend jean.dupont42@… (no first name given) ordered today."""
    user = UserFactory(email="alice@example.com", first_name="Alice")
    enrolment = enrol_referrer(program, user.email)
    invite_by_email(enrolment.contact, ["jean.dupont42@example.org"])
    code = register_referee(program, enrolment.code, "jean.dupont42@example.org").reward.code
    order = OrderData(
        external_id="o-1",
        email="jean.dupont42@example.org",
        amount=Decimal("60"),
        currency="EUR",
        welcome_code=code,
    )
    record_order(program, order)
    return user


def test_account_page_says_a_reward_is_pending_and_until_when(program: Program, alice: Any) -> None:
    client = shopper_for(alice).client
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    delay = timedelta(days=program.validation_delay_days)
    day = timezone.localtime(timezone.now() + delay, program.tz())
    pending = page.split('id="parrain-pending">')[1].split("</p>")[0]
    assert pending == (
        f"1 reward pending: validated on {day:%m/%d/%Y} if the order is not returned."
    )
    referrals = page.split('id="parrain-my-referrals"')[1].split("</table>")[0]
    assert "jean.dupont42" not in referrals and "A friend" in referrals
