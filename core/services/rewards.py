"""Issue and cancel rewards. A reward exists at most once per referral and side."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import audit, signals
from ..fulfilment import get_backend
from ..models import Referral, Reward
from ..models.choices import RewardStatus, Side
from .offers import RewardTerms


def existing_reward(referral: Referral, side: Side) -> Reward | None:
    return Reward.objects.filter(referral=referral, side=side).first()


def issue_reward(referral: Referral, side: Side, terms: RewardTerms) -> Reward:
    """Issue the ``side`` reward of ``referral`` once; a second call returns the first."""
    found = existing_reward(referral, side)
    if found is not None:
        return found
    recipient = referral.referrer if side == Side.REFERRER else referral.referee
    now = timezone.now()
    reward = Reward(
        program=referral.program,
        recipient=recipient,
        referral=referral,
        side=side,
        kind=terms.kind,
        value=terms.value,
        currency=terms.currency,
        terms=terms.as_json(),
        issued_at=now,
        expires_at=now + timedelta(days=terms.validity_days) if terms.validity_days else None,
    )
    try:
        with transaction.atomic():
            reward.code = get_backend().issue_code(reward)
            reward.save()
    except IntegrityError:
        return Reward.objects.get(referral=referral, side=side)
    audit.record(
        referral.program,
        f"reward.issued.{side}",
        referral=referral,
        contact=recipient,
        code=reward.code or "",
        kind=reward.kind,
        value=reward.value,
    )
    signals.reward_issued.send(type(referral.program), reward=reward)
    return reward


def cancel_reward(reward: Reward, reason: str) -> None:
    if reward.status in (RewardStatus.CANCELLED, RewardStatus.REDEEMED):
        return
    reward.status = RewardStatus.CANCELLED
    reward.cancelled_at = timezone.now()
    reward.save(update_fields=["status", "cancelled_at"])
    get_backend().cancel_code(reward)
    audit.record(
        reward.program,
        "reward.cancelled",
        reason=reason,
        referral=reward.referral,
        contact=reward.recipient,
        code=reward.code or "",
    )


def mark_sent(reward: Reward) -> None:
    Reward.objects.filter(pk=reward.pk, status=RewardStatus.ISSUED).update(
        status=RewardStatus.SENT, sent_at=timezone.now()
    )


def mark_redeemed(reward: Reward) -> None:
    Reward.objects.filter(pk=reward.pk).exclude(status=RewardStatus.CANCELLED).update(
        status=RewardStatus.REDEEMED, redeemed_at=timezone.now()
    )
