"""The referral lifecycle driven end to end through the server API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core.models import Referral, Reward
from parrain.core.models.choices import ReferralStatus, RewardStatus, Side
from parrain.core.services.validation import validate_due

from .conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)


def _referred_order(api: ApiClient, referee: str, external_id: str) -> dict:
    enrolled = api.call("post", "/referrers", {"email": "alice@example.com", "first_name": "Alice"})
    assert enrolled.status_code in (200, 201)
    code = enrolled.json()["code"]
    invited = api.call("post", "/invitations", {"referrer_code": code, "emails": [referee]})
    assert invited.status_code == 200 and invited.json()["results"][0]["invited"] is True
    registered = api.call(
        "post", "/registrations", {"code": code, "email": referee, "consent": True}
    )
    assert registered.status_code == 201
    welcome = registered.json()["welcome"]["code"]
    order = {
        "external_id": external_id,
        "email": referee,
        "amount": "80.00",
        "currency": "EUR",
        "welcome_code": welcome,
    }
    placed = api.call("post", "/orders", order)
    assert placed.status_code == 201
    return placed.json()


def test_referee_order_with_welcome_code_rewards_referrer_after_delay(api: ApiClient) -> None:
    enrolled = api.call("post", "/referrers", {"email": "alice@example.com", "first_name": "Alice"})
    assert enrolled.status_code == 201
    assert enrolled.json()["share_url"].endswith(enrolled.json()["code"])

    order = _referred_order(api, "bob@example.org", "1001")
    referral_id = order["attribution"]["id"]
    assert order["attribution"]["status"] == ReferralStatus.CONVERTED

    # Before the delay nothing is validated; after it, the referrer is rewarded.
    assert validate_due() == 0
    later = timezone.now() + timedelta(days=api.program.validation_delay_days, minutes=1)
    assert validate_due(now=later) == 1
    referral = Referral.objects.get(pk=referral_id)
    assert referral.status == ReferralStatus.REWARDED
    reward = Reward.objects.get(referral=referral, side=Side.REFERRER)
    assert reward.recipient.email == "alice@example.com"
    assert reward.value == Decimal("10") and reward.code

    listed = api.call("get", "/referrals?status=rewarded&referrer=alice@example.com")
    assert [item["id"] for item in listed.json()["items"]] == [referral_id]
    assert listed.json()["items"][0]["order_external_id"] == "1001"


def test_refund_before_validation_cancels_the_second_referral(api: ApiClient) -> None:
    _referred_order(api, "bob@example.org", "1001")
    second = _referred_order(api, "carol@example.org", "1002")

    refunded = api.call("post", "/orders/1002/refunds", {"external_id": "R-1"})
    assert refunded.status_code == 201
    assert refunded.json()["attribution"]["status"] == ReferralStatus.CANCELLED
    replay = api.call("post", "/orders/1002/refunds", {"external_id": "R-1"})
    assert replay.status_code == 200 and replay.json() == refunded.json()

    later = timezone.now() + timedelta(days=api.program.validation_delay_days, minutes=1)
    assert validate_due(now=later) == 1  # only Bob's referral
    cancelled = Referral.objects.get(pk=second["attribution"]["id"])
    assert cancelled.status == ReferralStatus.CANCELLED and cancelled.cancel_reason == "refunded"
    assert not Reward.objects.filter(referral=cancelled, side=Side.REFERRER).exists()
    assert Reward.objects.filter(side=Side.REFERRER, status=RewardStatus.ISSUED).count() == 1


def test_order_replay_returns_200_with_the_same_body(api: ApiClient) -> None:
    order = {"external_id": "A-1", "email": "dan@example.com", "amount": 12.5, "currency": "eur"}
    first = api.call("post", "/orders", order)
    again = api.call("post", "/orders", order)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["attribution"] is None and first.json()["amount"] == "12.50"


def _held(api: ApiClient, code: str, email: str, external_id: str) -> int:
    registered = api.call("post", "/registrations", {"code": code, "email": email}).json()
    order = {
        "external_id": external_id,
        "email": email,
        "amount": "30",
        "currency": "EUR",
        "welcome_code": registered["welcome"]["code"],
    }
    attribution = api.call("post", "/orders", order).json()["attribution"]
    assert attribution["status"] == ReferralStatus.REVIEW
    return attribution["id"]


def test_review_queue_approve_and_reject(api: ApiClient) -> None:
    # A disposable address holds the converting order for review (the default setting).
    code = api.call("post", "/referrers", {"email": "alice@example.com"}).json()["code"]
    held_id = _held(api, code, "x@mailinator.com", "H-1")
    other_id = _held(api, code, "y@mailinator.com", "H-2")
    queue = api.call("get", "/referrals?status=review").json()["items"]
    assert {item["id"] for item in queue} == {held_id, other_id}

    approved = api.call("post", f"/referrals/{held_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "converted"
    rejected = api.call("post", f"/referrals/{other_id}/reject", {"reason": "looks_fake"})
    assert rejected.json()["status"] == "cancelled"
    assert rejected.json()["cancel_reason"] == "looks_fake"
    welcome = Reward.objects.get(referral_id=other_id, side=Side.REFEREE)
    assert welcome.status == RewardStatus.CANCELLED
