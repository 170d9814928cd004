"""Cancelled and refunded Oscar orders: before validation the referral is cancelled; after
the reward the refund is recorded once and revenue is counted net, never twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from parrain.core.models import Order, Refund
from parrain.core.models.choices import ReferralStatus
from parrain.core.services import stats
from parrain.core.services.validation import validate_due
from parrain.plugins.oscar.tasks import record_oscar_refund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_cancelling_the_order_before_validation_cancels_the_referral(
    referred_order: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        referred_order.order.set_status("Cancelled")

    referral = referred_order.referral
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.cancel_reason == "refunded"
    # and a later validation sweep rewards nobody
    with django_capture_on_commit_callbacks(execute=True):
        validate_due(timezone.now() + timedelta(days=30))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED


def test_refund_after_reward_is_recorded_once_and_revenue_counts_it_once(
    referred_order: Any, program: Any, django_capture_on_commit_callbacks: Any
) -> None:
    oscar_order = referred_order.order
    with django_capture_on_commit_callbacks(execute=True):
        validate_due(timezone.now() + timedelta(days=program.validation_delay_days + 1))
    today = timezone.localdate()
    before = stats.dashboard(program, today, today)
    assert before.revenue == Decimal("85.00")

    with django_capture_on_commit_callbacks(execute=True):
        oscar_order.set_status("Being processed")
        oscar_order.set_status("Complete")
        oscar_order.set_status("Refunded")
    record_oscar_refund.delay(oscar_order.pk, "Refunded")  # the task delivered twice

    referral = referred_order.referral
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REWARDED
    recorded = Order.objects.get(program=program, external_id=oscar_order.number)
    assert recorded.refunded_amount == Decimal("85.00")
    assert Refund.objects.filter(order=recorded).count() == 1
    after = stats.dashboard(program, today, today)
    assert after.revenue == Decimal("0.00")
    assert after.referred_revenue == Decimal("0.00")
    assert after.converted_referees == before.converted_referees
