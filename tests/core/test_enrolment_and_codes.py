"""Referrer codes, idempotent claims, reward-code backends and typed settings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from pydantic import ValidationError

from parrain.core.codes import ALPHABET
from parrain.core.conf import parrain_settings
from parrain.core.exceptions import FulfilmentError, NotFound
from parrain.core.factories import ProgramFactory
from parrain.core.fulfilment.pool import import_pool
from parrain.core.models import AuditEvent, PoolCode, Reward, RewardRule
from parrain.core.models.choices import RewardKind, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee

pytestmark = pytest.mark.django_db

POOL = {"BACKEND": "parrain.core.fulfilment.pool.CodePoolBackend"}


def test_enrolling_twice_keeps_one_code_and_one_audit_event() -> None:
    program = ProgramFactory()
    first = enrol_referrer(program, "Alice@Example.com")
    second = enrol_referrer(program, " alice@example.com ")
    assert first.code == second.code and first.created and not second.created
    assert AuditEvent.objects.filter(action="referrer.enrolled").count() == 1
    assert second.share_url == f"https://shop.example/r/{first.code}"


def test_codes_are_random_not_derived_from_email_or_id() -> None:
    program = ProgramFactory()
    codes = [enrol_referrer(program, f"same{n}@example.com").code for n in range(200)]
    assert len(set(codes)) == 200
    assert all(len(c) == parrain_settings.CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    other = ProgramFactory()
    assert enrol_referrer(other, "same0@example.com").code != codes[0]


def test_unknown_code_is_not_found() -> None:
    program = ProgramFactory()
    with pytest.raises(NotFound):
        register_referee(program, "NOPE2345", "bob@example.org")


def test_claiming_twice_with_same_email_returns_the_same_welcome_code() -> None:
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com")
    first = register_referee(program, alice.code, "bob@example.org", consent=True)
    again = register_referee(program, alice.code, "BOB@example.org", consent=False)
    assert again.reward.code == first.reward.code and not again.created
    assert Reward.objects.count() == 1
    # The latest answer to the consent question is the one kept.
    again.referral.referee.refresh_from_db()
    assert again.referral.referee.consent_recontact is False


def test_loyalty_points_and_manual_rewards_carry_no_code() -> None:
    program = ProgramFactory(rules=False)
    RewardRule.objects.create(
        program=program, side=Side.REFEREE, kind=RewardKind.LOYALTY_POINTS, value=Decimal("500")
    )
    alice = enrol_referrer(program, "alice@example.com")
    reward = register_referee(program, alice.code, "bob@example.org").reward
    assert reward.code is None and reward.value == Decimal("500")


@override_settings(PARRAIN_FULFILMENT=POOL)
def test_pool_backend_hands_out_imported_codes_once_then_refuses() -> None:
    program = ProgramFactory()
    added, known = import_pool(program, Side.REFEREE, "code\nWELC-1\nWELC-2\nWELC-1\n")
    assert (added, known) == (2, 0)
    assert import_pool(program, Side.REFEREE, "WELC-2\nWELC-3\n") == (1, 1)
    alice = enrol_referrer(program, "alice@example.com")
    codes = [
        register_referee(program, alice.code, f"f{n}@example.org").reward.code for n in range(3)
    ]
    assert codes == ["WELC-1", "WELC-2", "WELC-3"]
    assert PoolCode.objects.filter(used_at=None).count() == 0
    with pytest.raises(FulfilmentError):
        register_referee(program, alice.code, "late@example.org")


def test_typed_settings_reject_bad_values_and_follow_overrides() -> None:
    with override_settings(PARRAIN_CODE_LENGTH=12):
        assert parrain_settings.CODE_LENGTH == 12
    assert parrain_settings.CODE_LENGTH == 8
    with override_settings(PARRAIN_CODE_LENGTH=2), pytest.raises(ValidationError):
        parrain_settings.CODE_LENGTH  # noqa: B018
