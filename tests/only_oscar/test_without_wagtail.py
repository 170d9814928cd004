"""The Oscar plugin in a shop that has no Wagtail: the referral journey still works."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from parrain.core.models import Order
from parrain.core.models.choices import ReferralStatus
from tests.oscar.conftest import product, program, referred_order, welcomed  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_no_wagtail_and_no_other_adapter_is_installed_or_imported() -> None:
    assert not [app for app in settings.INSTALLED_APPS if "wagtail" in app]
    assert not [app for app in settings.INSTALLED_APPS if "webhook" in app]
    assert not [name for name in sys.modules if name.startswith("wagtail")]


def test_referred_checkout_with_welcome_voucher_is_attributed(referred_order: Any) -> None:  # noqa: F811
    assert referred_order.order.total_incl_tax == Decimal("85.00")
    assert referred_order.referral.status == ReferralStatus.CONVERTED
    assert Order.objects.get(external_id=referred_order.order.number).referral_id


def test_dashboard_and_account_pages_render(referred_order: Any) -> None:  # noqa: F811
    from django.test import Client
    from oscar.test.factories import UserFactory

    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert staff.get("/shop/dashboard/referral/").status_code == 200
    page = referred_order.bob.client.get("/shop/accounts/referrals/").content.decode()
    assert referred_order.welcome.code in page
