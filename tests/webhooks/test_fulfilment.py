"""Reward codes created in the shop through its API: a fake WooCommerce and a fake Saleor run
on loopback, keep their coupons and check each request against the shop's published schema
(``shops.py``). The shop is called outside any transaction or lock, idempotently on the code
decided before the call (decision record 0003)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from threading import Barrier
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from parrain.core import signals
from parrain.core.exceptions import FulfilmentError
from parrain.core.factories import welcome_order
from parrain.core.models import AuditEvent, Referral, Reward
from parrain.core.models.choices import ReferralStatus, RewardStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import record_order
from parrain.core.services.registration import PUSH_RETRY_SECONDS, register_referee
from parrain.core.services.rewards import cancel_reward
from parrain.core.services.validation import reward_referrer, validate_due
from parrain.core.tasks import complete_pending_reward

from .shops import FakeSaleor, FakeWooCommerce, as_json, saleor_violations, woo_coupon_violations

pytestmark = pytest.mark.django_db
WOO = "parrain.plugins.generic_webhook.fulfilment.WooCommerceCouponBackend"
SALEOR = "parrain.plugins.generic_webhook.fulfilment.SaleorVoucherBackend"


@pytest.fixture
def woocommerce(receiver, settings) -> Iterator[FakeWooCommerce]:
    settings.PARRAIN_FULFILMENT = {
        "BACKEND": WOO,
        "OPTIONS": {"url": receiver.url, "consumer_key": "ck_1", "consumer_secret": "cs_1"},
    }
    shop = FakeWooCommerce()
    receiver.handler = shop
    shop.requests = receiver.requests
    yield shop
    assert shop.violations == [], "Parrain sent WooCommerce a coupon its schema refuses"


@pytest.fixture
def saleor(receiver, settings) -> Iterator[FakeSaleor]:
    settings.PARRAIN_FULFILMENT = {
        "BACKEND": SALEOR,
        "OPTIONS": {
            "api_url": f"{receiver.url}/graphql/",
            "token": "app-token",
            "channel_id": "Q2hhbm5lbDox",
        },
    }
    shop = FakeSaleor()
    receiver.handler = shop
    shop.requests = receiver.requests
    yield shop
    assert shop.violations == [], "Parrain sent Saleor a document its schema refuses"


@pytest.fixture
def queued(monkeypatch) -> list[tuple[Any, Any]]:
    """The background retries asked for (instead of running them eagerly)."""
    calls: list[tuple[Any, Any]] = []
    monkeypatch.setattr(
        complete_pending_reward,
        "apply_async",
        lambda args, countdown=None, **kw: calls.append((args, countdown)),
    )
    return calls


@pytest.fixture
def slow_shop(settings) -> None:
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": True, "READ_TIMEOUT": 0.5}


def coupons_with(shop: FakeWooCommerce, code: str) -> list[dict[str, Any]]:
    return [c for c in shop.coupons.values() if c["code"] == code.lower()]


def issued_entries(reward: Reward) -> int:
    return AuditEvent.objects.filter(
        action=f"reward.issued.{reward.side}", data__code=reward.code
    ).count()


def validated_referral(program) -> Referral:
    """Bob claimed Alice's offer and ordered; the validation delay has passed."""
    data = welcome_order(program, external_id="W-1", amount="80", currency="USD")
    referral = record_order(program, data).referral
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.VALIDATED, validated_at=timezone.now()
    )
    return referral


def lock_probe(**where: Any) -> tuple[Callable[[], None], list[str]]:
    """From another connection, while the shop call is in flight: lock and update the
    referral (NOWAIT), as a refund or an admin would. ``free`` if nobody holds it."""
    outcome: list[str] = []

    def probe() -> None:
        try:
            with transaction.atomic():
                rows = list(
                    Referral.objects.filter(**where)
                    .select_for_update(nowait=True, of=("self",))
                    .values_list("pk", flat=True)
                )
                Referral.objects.filter(pk__in=rows).update(status=F("status"))
            outcome.append("free" if rows else "not committed")
        except DatabaseError as exc:
            outcome.append(f"locked: {exc}")
        finally:
            connection.close()

    return probe, outcome


def in_parallel(fn: Callable[[], Any], count: int) -> list[Any]:
    barrier = Barrier(count)

    def run(_: int) -> Any:
        try:
            barrier.wait(timeout=30)
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


# --- WooCommerce -------------------------------------------------------------------------


def test_woocommerce_coupon_is_created_for_the_welcome_offer(program, woocommerce):
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    created = woocommerce.requests[0]
    auth = base64.b64encode(b"ck_1:cs_1").decode()
    assert created.headers["authorization"] == f"Basic {auth}"
    coupon = created.json()
    assert coupon["code"] == reward.code
    assert (coupon["discount_type"], coupon["amount"]) == ("percent", "15.00")
    assert (coupon["usage_limit"], coupon["email_restrictions"]) == (1, ["bob@example.org"])
    assert coupon["date_expires_gmt"].startswith(reward.expires_at.strftime("%Y-%m-%d"))
    assert reward.status == RewardStatus.ISSUED
    assert len(coupons_with(woocommerce, reward.code)) == 1


def test_fake_woocommerce_refuses_what_its_coupon_schema_refuses(program, woocommerce):
    alice = enrol_referrer(program, "alice@example.com")
    register_referee(program, alice.code, "bob@example.org")
    sent = woocommerce.requests[0].json()
    assert woo_coupon_violations(sent) == []
    for wrong in (
        {"amount": 15.0},  # a number: the schema says string
        {"discount_type": "percentage"},  # not percent / fixed_cart / fixed_product
        {"expiry_date": "2030-01-01"},  # not a coupon property
        {"email_restrictions": "bob@example.org"},  # a list of strings
        {"usage_limit": "1"},
        {"individual_use": "yes"},
        {"id": 7},  # read-only
    ):
        assert woo_coupon_violations({**sent, **wrong}), wrong
    assert woo_coupon_violations({"amount": "5"}), "code is required"


def test_woocommerce_coupon_is_deleted_after_the_cancellation_commits(
    program, woocommerce, django_capture_on_commit_callbacks
):
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            cancel_reward(reward, "refunded")
            assert len(woocommerce.requests) == 1  # not under the caller's transaction
    calls = [(r.method, urlsplit(r.path).path) for r in woocommerce.requests]
    assert calls[1:] == [
        ("GET", "/wp-json/wc/v3/coupons"),
        ("DELETE", "/wp-json/wc/v3/coupons/101"),
    ]
    assert woocommerce.coupons == {}


def test_woocommerce_refusal_leaves_the_welcome_code_pending_and_queues_a_retry(
    program, woocommerce, receiver, queued
):
    receiver.handler = lambda request: as_json({"code": "woocommerce_rest_cannot_create"}, 401)
    alice = enrol_referrer(program, "alice@example.com")
    shown = register_referee(program, alice.code, "bob@example.org").reward
    reward = Reward.objects.get()
    assert (reward.status, reward.code) == (RewardStatus.PENDING, shown.code)
    assert queued == [((reward.pk,), PUSH_RETRY_SECONDS)]
    assert issued_entries(reward) == 0

    receiver.handler = woocommerce  # the shop is back: the retry creates the same code
    complete_pending_reward(reward.pk)
    reward.refresh_from_db()
    assert reward.status == RewardStatus.ISSUED
    assert len(coupons_with(woocommerce, shown.code)) == 1
    assert issued_entries(reward) == 1


def test_shop_failing_after_creating_the_coupon_gets_the_same_code_on_retry(
    program, woocommerce, queued
):
    woocommerce.fail_after_create = 1
    alice = enrol_referrer(program, "alice@example.com")
    shown = register_referee(program, alice.code, "bob@example.org").reward
    assert shown.status == RewardStatus.PENDING and len(woocommerce.coupons) == 1

    complete_pending_reward(shown.pk)  # the queued retry

    reward = Reward.objects.get()
    assert (reward.status, reward.code) == (RewardStatus.ISSUED, shown.code)
    assert len(woocommerce.coupons) == 1, "the retry must not create a second coupon"
    assert issued_entries(reward) == 1
    posts = [r for r in woocommerce.requests if r.method == "POST"]
    assert {r.json()["code"] for r in posts} == {shown.code}


def test_a_coupon_made_by_hand_with_the_same_code_is_not_taken_for_ours(
    program, woocommerce, receiver, queued
):
    receiver.handler = lambda request: as_json({"code": "internal_server_error"}, 500)
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    woocommerce.coupons[1] = {"id": 1, "code": reward.code.lower(), "meta_data": []}
    receiver.handler = woocommerce
    with pytest.raises(FulfilmentError):
        complete_pending_reward(reward.pk)
    reward.refresh_from_db()
    assert reward.status == RewardStatus.PENDING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_welcome_claim_is_committed_and_unlocked_before_the_shop_is_called(program, woocommerce):
    probe, outcome = lock_probe(referee__email="bob@example.org")
    woocommerce.hold = probe
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    assert outcome == ["free"]
    assert reward.status == RewardStatus.ISSUED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_slow_shop_holds_no_lock_on_the_referral_and_the_retry_keeps_the_code(
    program, woocommerce, slow_shop
):
    referral = validated_referral(program)
    probe, outcome = lock_probe(pk=referral.pk)
    woocommerce.hold, woocommerce.delay = probe, 1.5
    woocommerce.answered.clear()

    with pytest.raises(FulfilmentError):  # the read timeout: the task will retry
        reward_referrer(referral.pk)

    assert outcome == ["free"], "the referral stayed locked during the shop call"
    reward = Reward.objects.get(referral=referral, side=Side.REFERRER)
    assert reward.status == RewardStatus.PENDING
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.VALIDATED
    assert woocommerce.answered.wait(5)  # the shop created it, too late for the client
    woocommerce.hold, woocommerce.delay = None, 0.0

    reward_referrer(referral.pk)  # the retry

    reward.refresh_from_db()
    referral.refresh_from_db()
    assert (reward.status, referral.status) == (RewardStatus.ISSUED, ReferralStatus.REWARDED)
    assert len(coupons_with(woocommerce, reward.code)) == 1
    assert issued_entries(reward) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_duplicate_reward_tasks_create_one_coupon_and_one_audit_entry(program, woocommerce):
    referral = validated_referral(program)
    sent: list[Reward] = []

    def count(sender: Any, reward: Reward, **kwargs: Any) -> None:
        sent.append(reward)

    signals.reward_issued.connect(count, weak=False, dispatch_uid="test_duplicate_count")
    try:
        in_parallel(lambda: reward_referrer(referral.pk), count=4)
    finally:
        signals.reward_issued.disconnect(dispatch_uid="test_duplicate_count")

    reward = Reward.objects.get(referral=referral, side=Side.REFERRER)
    referral.refresh_from_db()
    assert (reward.status, referral.status) == (RewardStatus.ISSUED, ReferralStatus.REWARDED)
    assert len(coupons_with(woocommerce, reward.code)) == 1
    assert issued_entries(reward) == 1
    assert [r.pk for r in sent] == [reward.pk]
    rewarded = AuditEvent.objects.filter(action="referral.rewarded", referral=referral).count()
    assert rewarded == 1


def test_sweep_completes_a_pending_reward_the_tasks_gave_up_on(program, woocommerce, receiver):
    receiver.handler = lambda request: as_json({"code": "internal_server_error"}, 500)
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    assert Reward.objects.get().status == RewardStatus.PENDING  # the eager retries failed too
    receiver.handler = woocommerce

    validate_due(now=timezone.now() + timedelta(minutes=5))
    assert Reward.objects.get().status == RewardStatus.PENDING  # not stuck yet
    validate_due(now=timezone.now() + timedelta(minutes=16))

    assert Reward.objects.get().status == RewardStatus.ISSUED
    assert len(coupons_with(woocommerce, reward.code)) == 1


# --- Saleor ------------------------------------------------------------------------------


def test_saleor_voucher_is_created_and_listed_in_the_channel(program, saleor):
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    create, listing = (r.json() for r in saleor.requests)
    assert saleor.requests[0].headers["authorization"] == "Bearer app-token"
    voucher = create["variables"]["input"]
    assert voucher["addCodes"] == [reward.code]
    assert (voucher["discountValueType"], voucher["usageLimit"]) == ("PERCENTAGE", 1)
    assert listing["variables"] == {
        "id": next(iter(saleor.vouchers)),
        "input": {"addChannels": [{"channelId": "Q2hhbm5lbDox", "discountValue": "15.00"}]},
    }
    assert reward.status == RewardStatus.ISSUED
    assert saleor.listings == {next(iter(saleor.vouchers)): {"Q2hhbm5lbDox": Decimal("15.00")}}


def test_fake_saleor_refuses_what_its_schema_refuses(program, saleor):
    alice = enrol_referrer(program, "alice@example.com")
    register_referee(program, alice.code, "bob@example.org")
    create = saleor.requests[0].json()
    query, voucher = create["query"], create["variables"]["input"]
    assert saleor_violations(query, {"input": voucher}) == []
    for wrong in (
        {"codes": [voucher["addCodes"][0]]},  # not a VoucherInput field
        {"discountValueType": "PERCENT"},  # not a DiscountValueTypeEnum value
        {"usageLimit": "1"},  # Int
        {"endDate": "tomorrow"},  # DateTime
        {"type": "ORDER"},
    ):
        assert saleor_violations(query, {"input": {**voucher, **wrong}}), wrong
    assert saleor_violations(query.replace("field code", "field kode"), {"input": voucher})


def test_saleor_voucher_created_before_a_failure_is_found_and_listed_on_retry(
    program, saleor, queued
):
    saleor.fail_after_create = 1
    alice = enrol_referrer(program, "alice@example.com")
    shown = register_referee(program, alice.code, "bob@example.org").reward
    assert shown.status == RewardStatus.PENDING and saleor.listings == {}

    complete_pending_reward(shown.pk)

    reward = Reward.objects.get()
    assert (reward.status, reward.code) == (RewardStatus.ISSUED, shown.code)
    assert [v["code"] for v in saleor.vouchers.values()] == [shown.code]
    assert list(saleor.listings.values()) == [{"Q2hhbm5lbDox": Decimal("15.00")}]
    assert issued_entries(reward) == 1


def test_saleor_errors_leave_the_reward_pending(program, saleor, receiver, queued):
    receiver.handler = lambda request: as_json(
        {
            "data": {
                "voucherCreate": {
                    "voucher": None,
                    "errors": [{"field": "endDate", "code": "INVALID", "message": "x"}],
                }
            }
        }
    )
    alice = enrol_referrer(program, "alice@example.com")
    register_referee(program, alice.code, "bob@example.org")
    reward = Reward.objects.get()
    assert reward.status == RewardStatus.PENDING and len(queued) == 1
    assert issued_entries(reward) == 0
