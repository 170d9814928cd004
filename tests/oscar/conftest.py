from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from oscar.core.loading import get_model
from oscar.test.factories import UserFactory, create_product

from parrain.core.factories import ProgramFactory
from parrain.core.models import Program

from .shop import Shopper

Country = get_model("address", "Country")


@pytest.fixture
def program(settings: Any) -> Program:
    """Referrer: 10 EUR off; referee: 15 % off; validation after 14 days."""
    program = ProgramFactory(slug="boutique", landing_url="https://shop.example/shop/")
    settings.PARRAIN_OSCAR = {"PROGRAM": program.slug, "CANCEL_STATUSES": ["Cancelled", "Refunded"]}
    return program


@pytest.fixture
def product(db: None) -> Any:
    Country.objects.get_or_create(
        iso_3166_1_a2="FR",
        defaults={"printable_name": "France", "name": "France", "is_shipping_country": True},
    )
    return create_product(price=Decimal("100.00"), num_in_stock=100, title="Lampe")


@pytest.fixture
def user_factory(db: None) -> Any:
    return UserFactory


def shopper_for(user: Any = None) -> Shopper:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return Shopper(client)


@pytest.fixture
def welcomed(program: Program, product: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Bob follows Alice's link and opens an account: he gets his welcome voucher."""
    from parrain.core.models import Reward
    from parrain.core.services.enrolment import enrol_referrer

    alice = UserFactory(email="alice@example.com", first_name="Alice")
    code = enrol_referrer(program, alice.email).code
    bob = shopper_for()
    bob.visit("/shop/catalogue/", parrain=code)
    with django_capture_on_commit_callbacks(execute=True):
        bob.register("bob@example.org")
    welcome = Reward.objects.get(program=program, recipient__email="bob@example.org")
    return Journey(alice=alice, bob=bob, welcome=welcome)


@pytest.fixture
def referred_order(
    welcomed: Any, program: Program, product: Any, django_capture_on_commit_callbacks: Any
) -> Any:
    """... and buys with it."""
    from parrain.core.models import Referral

    welcomed.bob.add_to_basket(product)
    welcomed.bob.apply_voucher(welcomed.welcome.code)
    with django_capture_on_commit_callbacks(execute=True):
        welcomed.order, _ = welcomed.bob.checkout()
    welcomed.referral = Referral.objects.get(program=program, referee__email="bob@example.org")
    return welcomed


@dataclass
class Journey:
    alice: Any
    bob: Shopper
    welcome: Any
    order: Any = None
    referral: Any = None
