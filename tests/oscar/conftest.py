from __future__ import annotations

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
    settings.PARRAIN_OSCAR = {"PROGRAM": program.slug, "CANCEL_STATUSES": ["Cancelled"]}
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
    client = Client()
    if user is not None:
        client.force_login(user)
    return Shopper(client)
