"""The shop owner's review queue: approve or reject a held referral."""

from __future__ import annotations

from django.db import transaction

from ..locks import referral_for_update
from ..models import Referral, Reward
from ..models.choices import ReferralStatus, Side
from .rewards import cancel_reward
from .transitions import move


@transaction.atomic
def approve_referral(referral_id: int, actor: str) -> Referral:
    referral = referral_for_update(referral_id)
    if referral.status != ReferralStatus.REVIEW:
        return referral
    if referral.order_id is not None:
        move(
            referral,
            ReferralStatus.CONVERTED,
            action="referral.approved",
            actor=actor,
            reason=referral.review_reason,
            at=referral.order.placed_at,
        )
    else:
        previous = ReferralStatus(referral.status_before_review or ReferralStatus.REGISTERED)
        move(
            referral,
            previous,
            action="referral.approved",
            actor=actor,
            reason=referral.review_reason,
        )
    return referral


@transaction.atomic
def reject_referral(referral_id: int, actor: str, reason: str = "rejected_in_review") -> Referral:
    referral = referral_for_update(referral_id)
    if referral.status != ReferralStatus.REVIEW:
        return referral
    move(referral, ReferralStatus.CANCELLED, action="referral.rejected", actor=actor, reason=reason)
    for reward in Reward.objects.filter(referral=referral, side=Side.REFEREE):
        cancel_reward(reward, reason)
    return referral


@transaction.atomic
def cancel_referral(referral_id: int, reason: str, actor: str = "system") -> Referral:
    referral = referral_for_update(referral_id)
    if referral.status not in (ReferralStatus.REWARDED, ReferralStatus.CANCELLED):
        move(
            referral,
            ReferralStatus.CANCELLED,
            action="referral.cancelled",
            reason=reason,
            actor=actor,
        )
    return referral
