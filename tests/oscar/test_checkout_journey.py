"""The referral journey through Oscar's real views: link, registration, voucher, checkout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from oscar.test.factories import UserFactory

from parrain.core.models import Order, Referral, Reward
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.validation import validate_due

from .conftest import shopper_for
from .shop import Shopper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_referee_gets_discount_is_attributed_validated_and_referrer_voucher_discounts(
    program: Any, product: Any, django_capture_on_commit_callbacks: Any, client: Any
) -> None:
    alice = UserFactory(email="alice@example.com", first_name="Alice")
    code = enrol_referrer(program, alice.email).code
    bob = Shopper(client)

    # Given Bob followed Alice's link and opened an account
    bob.visit("/shop/catalogue/", parrain=code)
    with django_capture_on_commit_callbacks(execute=True):
        bob.register("bob@example.org")
    welcome = Reward.objects.get(side=Side.REFEREE, recipient__email="bob@example.org")
    assert welcome.code.startswith("BIENVENUE-")

    # When he buys with his welcome voucher
    bob.add_to_basket(product)
    messages = bob.apply_voucher(welcome.code)
    assert any(welcome.code in m for m in messages), messages
    assert bob.basket_total() == Decimal("85.00")
    with django_capture_on_commit_callbacks(execute=True):
        oscar_order, _ = bob.checkout()

    # Then the order has the discount and is attributed to Alice
    assert oscar_order.total_incl_tax == Decimal("85.00")
    recorded = Order.objects.get(program=program, external_id=oscar_order.number)
    assert recorded.amount == Decimal("85.00")
    assert recorded.welcome_code == welcome.code
    referral = Referral.objects.get(program=program, referee__email="bob@example.org")
    assert referral.status == ReferralStatus.CONVERTED
    assert referral.referrer.email == "alice@example.com"
    welcome.refresh_from_db()
    assert welcome.status == "redeemed"

    # When the validation delay has passed
    with django_capture_on_commit_callbacks(execute=True):
        validate_due(timezone.now() + timedelta(days=program.validation_delay_days + 1))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REWARDED
    thanks = Reward.objects.get(referral=referral, side=Side.REFERRER)

    # Then Alice's reward is an Oscar voucher that takes 10 EUR off her next basket
    alice_shop = shopper_for(alice)
    alice_shop.add_to_basket(product)
    assert alice_shop.basket_total() == Decimal("100.00")
    alice_shop.apply_voucher(thanks.code)
    assert alice_shop.basket_total() == Decimal("90.00")


def test_guest_checkout_after_the_share_link_is_attributed_to_the_referrer(
    program: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    guest = shopper_for()
    guest.client.cookies["parrain_ref"] = code  # set by the /r/<code> share link
    guest.visit("/shop/")
    guest.add_to_basket(product)

    with django_capture_on_commit_callbacks(execute=True):
        order, _ = guest.checkout(guest_email="invitee@example.net")

    assert order.user is None
    recorded = Order.objects.get(program=program, external_id=order.number)
    assert recorded.amount == Decimal("100.00")
    assert recorded.referral_code == code
    referral = Referral.objects.get(program=program, referee__email="invitee@example.net")
    assert referral.status == ReferralStatus.CONVERTED
    assert referral.referrer.email == "alice@example.com"
