"""A checkout with no referral in it is the same with the plugin as without: same totals,
same discounts, same emails to the customer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from oscar.test.factories import UserFactory

from parrain.core.models import Order
from parrain.plugins.oscar import receivers

from .conftest import shopper_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
MIDDLEWARE = "parrain.plugins.oscar.middleware.ReferralCodeMiddleware"


@contextmanager
def without_plugin(settings: Any) -> Iterator[None]:
    receivers.disconnect()
    try:
        with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != MIDDLEWARE]):
            yield
    finally:
        receivers.connect()


def checkout_as(email: str, product: Any, capture: Any) -> tuple[Any, list[Any]]:
    shopper = shopper_for(UserFactory(email=email, first_name="Zoé"))
    shopper.add_to_basket(product, quantity=2)
    mail.outbox.clear()
    with capture(execute=True):
        order, _ = shopper.checkout()
    return order, list(mail.outbox)


def comparable(message: Any, order: Any) -> tuple[str, str, list[str]]:
    def clean(text: str) -> str:
        return re.sub(re.escape(order.number), "<number>", text)

    return clean(message.subject), clean(message.body), message.to and ["<customer>"]


def test_checkout_without_referral_has_same_totals_and_emails_with_and_without_plugin(
    program: Any, product: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with without_plugin(settings):
        plain, plain_mails = checkout_as(
            "sans@example.com", product, django_capture_on_commit_callbacks
        )
    assert not Order.objects.filter(external_id=plain.number).exists()

    with_plugin, plugin_mails = checkout_as(
        "avec@example.com", product, django_capture_on_commit_callbacks
    )

    for field in ("total_incl_tax", "total_excl_tax", "shipping_incl_tax", "currency", "status"):
        assert getattr(with_plugin, field) == getattr(plain, field), field
    assert with_plugin.discounts.count() == plain.discounts.count() == 0
    assert [line.line_price_incl_tax for line in with_plugin.lines.all()] == [
        line.line_price_incl_tax for line in plain.lines.all()
    ]
    assert len(plugin_mails) == len(plain_mails) >= 1
    assert [comparable(m, with_plugin) for m in plugin_mails] == [
        comparable(m, plain) for m in plain_mails
    ]
    # The plugin did record the order (revenue share) without touching the checkout
    recorded = Order.objects.get(program=program, external_id=with_plugin.number)
    assert recorded.amount == with_plugin.total_incl_tax
    assert recorded.referral is None
