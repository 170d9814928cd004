"""OscarVoucherBackend: one single-use voucher per reward, its benefit matching the rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from oscar.core.loading import get_model
from oscar.test.factories import UserFactory

from parrain.core.models import Program, RewardRule
from parrain.core.models.choices import RewardKind, RewardStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee
from parrain.core.services.rewards import cancel_reward

from .conftest import shopper_for

Voucher = get_model("voucher", "Voucher")
Benefit = get_model("offer", "Benefit")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def issue(program: Program, kind: str, value: str, minimum: str = "0", product_ref: str = ""):
    rule = RewardRule.objects.create(
        program=program,
        side=Side.REFEREE,
        kind=kind,
        value=Decimal(value),
        minimum_order_amount=Decimal(minimum),
        product_ref=product_ref,
    )
    assert program.rule(Side.REFEREE) == rule  # the newest rule is the one in force
    code = enrol_referrer(program, "alice@example.com").code
    return register_referee(program, code, "bob@example.org").reward


@pytest.mark.parametrize(
    ("kind", "value", "benefit_type", "benefit_value"),
    [
        (RewardKind.PERCENTAGE, "15", "Percentage", Decimal("15")),
        (RewardKind.FIXED_AMOUNT, "10", "Absolute", Decimal("10")),
        (RewardKind.FREE_SHIPPING, "0", "Shipping percentage", Decimal("100")),
    ],
)
def test_each_reward_kind_becomes_a_single_use_voucher_with_the_matching_benefit(
    program: Program, product: Any, kind: str, value: str, benefit_type: str, benefit_value: Any
) -> None:
    reward = issue(program, kind, value, minimum="30")

    voucher = Voucher.objects.get(code=reward.code)
    offer = voucher.offers.get()
    assert voucher.usage == Voucher.SINGLE_USE
    assert voucher.end_datetime == reward.expires_at
    assert (offer.benefit.type, offer.benefit.value) == (benefit_type, benefit_value)
    assert offer.condition.value == Decimal("30")
    assert offer.condition.proxy_class.endswith("RecipientValueCondition")


def test_free_product_reward_discounts_one_unit_of_that_product(
    program: Program, product: Any
) -> None:
    product.upc = "LAMPE-1"
    product.save()
    reward = issue(program, RewardKind.FREE_PRODUCT, "0", product_ref="LAMPE-1")
    bob = shopper_for(UserFactory(email="bob@example.org"))
    bob.add_to_basket(product, quantity=2)

    bob.apply_voucher(reward.code)

    assert bob.basket_total() == Decimal("100.00")


def test_minimum_basket_value_is_the_voucher_condition(program: Program, product: Any) -> None:
    reward = issue(program, RewardKind.FIXED_AMOUNT, "10", minimum="150")
    bob = shopper_for(UserFactory(email="bob@example.org"))
    bob.add_to_basket(product)

    messages = bob.apply_voucher(reward.code)
    assert any("does not qualify" in m for m in messages), messages
    assert bob.basket_total() == Decimal("100.00")

    bob.add_to_basket(product)
    bob.apply_voucher(reward.code)
    assert bob.basket_total() == Decimal("190.00")


def test_cancelled_reward_voucher_is_refused_by_oscar(program: Program, product: Any) -> None:
    reward = issue(program, RewardKind.PERCENTAGE, "15")
    cancel_reward(reward, "fraud")
    reward.refresh_from_db()
    assert reward.status == RewardStatus.CANCELLED
    voucher = Voucher.objects.get(code=reward.code)
    assert not voucher.is_active(timezone.now())
    assert voucher.offers.get().is_suspended
    bob = shopper_for(UserFactory(email="bob@example.org"))
    bob.add_to_basket(product)

    messages = bob.apply_voucher(reward.code)

    assert any("expired" in m or "not active" in m for m in messages), messages
    assert bob.basket_total() == Decimal("100.00")


def test_rewards_without_a_code_create_no_voucher(program: Program) -> None:
    vouchers_before = Voucher.objects.count()
    reward = issue(program, RewardKind.MANUAL, "50")
    assert reward.code is None
    assert Voucher.objects.count() == vouchers_before


def test_voucher_reads_as_the_offer_in_the_shop_language_on_the_customers_order(
    program: Program, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Given a welcome offer labelled by the shop owner, in a French program
    program.default_language = "fr"
    program.save(update_fields=["default_language"])
    RewardRule.objects.create(
        program=program,
        side=Side.REFEREE,
        kind=RewardKind.PERCENTAGE,
        value=Decimal("15"),
        labels={"en": "15% off your first order", "fr": "-15 % sur votre première commande"},
    )
    code = enrol_referrer(program, "alice@example.com").code
    bob = UserFactory(email="bob@example.org")
    reward = register_referee(program, code, "bob@example.org").reward
    # When Bob buys with the code
    shopper = shopper_for(bob)
    shopper.add_to_basket(product)
    shopper.apply_voucher(reward.code)
    basket = shopper.client.get("/shop/basket/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        order, _ = shopper.checkout()
    # Then the basket and the order name the offer in the shop's words, not Parrain's jargon
    expected = f"-15 % sur votre première commande · {reward.code}"
    assert Voucher.objects.get(code=reward.code).name == expected
    assert expected in basket
    assert [d.offer_name for d in order.discounts.all()] == [expected]
    assert "referee" not in basket
