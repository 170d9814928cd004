"""One program per shop: the welcome codes of the install's other programs are no discount
here, the shop's orders go to its own program only, and the program is named, not guessed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from oscar.core.loading import get_model
from oscar.test.factories import UserFactory

from parrain.core.factories import ProgramFactory
from parrain.core.models import Order, Program
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee
from parrain.plugins.oscar.checks import check_shop_program
from parrain.plugins.oscar.program import shop_program

from .conftest import shopper_for

Voucher = get_model("voucher", "Voucher")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def welcome_of(program: Program, email: str) -> Any:
    code = enrol_referrer(program, "alice@example.com").code
    return register_referee(program, code, email).reward


def test_welcome_code_of_another_program_is_refused_at_the_basket(
    program: Program, product: Any
) -> None:
    # Given another program on the same install, where Bob claimed a welcome offer
    other = ProgramFactory(slug="atelier-velo")
    bob = shopper_for(UserFactory(email="bob@example.org"))
    welcome = welcome_of(other, "bob@example.org")

    # When Bob types that code in the basket of the shop that runs "boutique"
    bob.add_to_basket(product)
    messages = bob.apply_voucher(welcome.code)

    # Then he pays the full price: the code is not a voucher of this shop
    assert bob.basket_total() == Decimal("100.00")
    assert any("found with code" in m and welcome.code in m for m in messages), messages
    assert welcome.code and not Voucher.objects.filter(code=welcome.code).exists()


def test_voucher_of_another_program_issued_before_is_refused_and_says_why(
    program: Program, product: Any, settings: Any
) -> None:
    # Given a voucher issued while the shop ran the other program (or before this fix)
    other = ProgramFactory(slug="atelier-velo")
    settings.PARRAIN_OSCAR = {"PROGRAM": other.slug}
    welcome = welcome_of(other, "bob@example.org")
    assert Voucher.objects.filter(code=welcome.code).exists()
    settings.PARRAIN_OSCAR = {"PROGRAM": program.slug}
    bob = shopper_for(UserFactory(email="bob@example.org"))

    # When its own recipient applies it in the shop of "boutique"
    bob.add_to_basket(product)
    messages = bob.apply_voucher(welcome.code)

    # Then the basket refuses it with the reason, and the price is unchanged
    assert any("belongs to another referral program" in m for m in messages), messages
    assert bob.basket_total() == Decimal("100.00")


def test_shop_program_vouchers_still_apply(welcomed: Any, product: Any) -> None:
    ProgramFactory(slug="atelier-velo")
    welcomed.bob.add_to_basket(product)

    welcomed.bob.apply_voucher(welcomed.welcome.code)

    assert welcomed.bob.basket_total() == Decimal("85.00")


def test_orders_are_recorded_into_the_shop_program_only(
    program: Program, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ProgramFactory(slug="atelier-velo")
    carol = shopper_for(UserFactory(email="carol@example.com"))
    carol.add_to_basket(product)

    with django_capture_on_commit_callbacks(execute=True):
        order, _ = carol.checkout()

    assert list(Order.objects.values_list("program__slug", "external_id")) == [
        ("boutique", order.number)
    ]


@pytest.mark.parametrize("value", [{}, {"PROGRAM": ""}, {"PROGRAM": "  "}])
def test_a_shop_without_a_program_setting_refuses_to_start(
    program: Program, settings: Any, value: dict[str, str]
) -> None:
    settings.PARRAIN_OSCAR = value

    errors = check_shop_program()

    assert [e.id for e in errors] == ["parrain_oscar.E001"]
    assert 'PARRAIN_OSCAR = {"PROGRAM": "<slug>"}' in errors[0].msg + errors[0].hint
    with pytest.raises(SystemCheckError, match="PARRAIN_OSCAR"):
        call_command("check")
    with pytest.raises(ImproperlyConfigured, match=r"is not set.*Add PARRAIN_OSCAR = "):
        shop_program()  # checks skipped: the first use says the same


def test_a_shop_naming_an_unknown_program_refuses_to_start_and_lists_the_known_ones(
    program: Program, settings: Any
) -> None:
    ProgramFactory(slug="atelier-velo")
    settings.PARRAIN_OSCAR = {"PROGRAM": "botique"}

    errors = check_shop_program()

    assert [e.id for e in errors] == ["parrain_oscar.E002"]
    assert "'botique'" in errors[0].msg
    assert errors[0].hint.endswith("one of: atelier-velo, boutique.")
    with pytest.raises(ImproperlyConfigured, match="no referral program has that slug"):
        shop_program()


def test_a_fresh_install_without_any_program_only_warns(db: None, settings: Any) -> None:
    settings.PARRAIN_OSCAR = {"PROGRAM": "boutique"}

    assert [e.id for e in check_shop_program()] == ["parrain_oscar.W001"]


def test_a_paused_shop_program_passes_the_check_and_does_nothing(
    program: Program, settings: Any
) -> None:
    Program.objects.filter(pk=program.pk).update(is_active=False)

    assert check_shop_program() == []
    assert shop_program() is None
