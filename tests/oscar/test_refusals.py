"""What the shop refuses, and says why: reused voucher, someone else's voucher,
an existing customer, self-referral."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from oscar.test.factories import UserFactory

from parrain.core.models import AuditEvent, Order, Referral, Reward
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer

from .conftest import shopper_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_second_use_of_the_welcome_voucher_is_refused_with_oscars_reason(
    referred_order: Any, product: Any
) -> None:
    bob = referred_order.bob
    bob.add_to_basket(product)

    messages = bob.apply_voucher(referred_order.welcome.code)

    assert any("already been used" in m for m in messages), messages
    assert bob.basket_total() == Decimal("100.00")


def test_welcome_voucher_of_someone_else_does_not_apply_and_says_why(
    welcomed: Any, product: Any
) -> None:
    dave = shopper_for(UserFactory(email="dave@example.net"))
    dave.add_to_basket(product)

    messages = dave.apply_voucher(welcomed.welcome.code)

    assert any("reserved for the customer it was sent to" in m for m in messages), messages
    assert dave.basket_total() == Decimal("100.00")
    # Bob himself still gets it
    welcomed.bob.add_to_basket(product)
    welcomed.bob.apply_voucher(welcomed.welcome.code)
    assert welcomed.bob.basket_total() == Decimal("85.00")


def test_existing_customer_following_a_link_is_not_attributed(
    program: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice = UserFactory(email="alice@example.com")
    code = enrol_referrer(program, alice.email).code
    carol = shopper_for(UserFactory(email="carol@example.com"))
    # Carol already bought here before any referral
    carol.add_to_basket(product)
    with django_capture_on_commit_callbacks(execute=True):
        carol.checkout()

    # When she follows Alice's link and buys again
    carol.visit("/shop/catalogue/", parrain=code)
    carol.add_to_basket(product)
    with django_capture_on_commit_callbacks(execute=True):
        second, _ = carol.checkout()

    # Then the order is recorded but the referral is refused as "existing_customer"
    assert Order.objects.filter(program=program, external_id=second.number).exists()
    referral = Referral.objects.get(program=program, referee__email="carol@example.com")
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.cancel_reason == "existing_customer"
    assert not Reward.objects.filter(recipient__email="carol@example.com").exists()


def test_registration_of_an_existing_customer_gets_no_welcome_offer(
    program: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from parrain.core.services.contacts import ContactData, upsert_contact

    code = enrol_referrer(program, "alice@example.com").code
    upsert_contact(program, ContactData(email="erin@example.com", is_customer=True))
    erin = shopper_for()
    erin.visit("/shop/", parrain=code)

    with django_capture_on_commit_callbacks(execute=True):
        erin.register("erin@example.com")

    assert not Reward.objects.filter(recipient__email="erin@example.com").exists()
    refusal = AuditEvent.objects.get(action="registration.refused")
    assert refusal.reason == "existing_customer"


def test_self_referral_through_own_link_is_refused(
    program: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice_user = UserFactory(email="alice@example.com")
    code = enrol_referrer(program, alice_user.email).code
    alice = shopper_for(alice_user)

    alice.visit("/shop/catalogue/", parrain=code)
    alice.add_to_basket(product)
    with django_capture_on_commit_callbacks(execute=True):
        order, _ = alice.checkout()

    assert order.total_incl_tax == Decimal("100.00")
    referral = Referral.objects.get(program=program, referee__email="alice@example.com")
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.cancel_reason == "self_referral"
