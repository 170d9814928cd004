"""Validate converted referrals once the delay has passed, then reward the referrer."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..conf import parrain_settings
from ..locks import referral_for_update
from ..models import Program, Referral, Reward
from ..models.choices import ReferralStatus, RewardStatus, Side
from .offers import RewardTerms
from .orders import refund_keeps
from .rewards import cancel_reward, complete_reward, issue_reward, pending_reward_ids
from .transitions import move


def due_referral_ids(program: Program, now: datetime) -> list[int]:
    cutoff = now - timedelta(days=program.validation_delay_days)
    qs = Referral.objects.filter(
        program=program, status=ReferralStatus.CONVERTED, converted_at__lte=cutoff
    ).order_by("pk")
    return list(qs.values_list("pk", flat=True)[: parrain_settings.VALIDATION_SWEEP_BATCH])


#: A validated referral still without its reward after this long lost its task (broker
#: down, worker killed, fulfilment error past its retries): the sweep enqueues it again.
STUCK_AFTER = timedelta(minutes=15)


def validate_due(now: datetime | None = None) -> int:
    """The periodic sweep: validate every referral whose delay has passed.

    It also re-enqueues the reward of referrals validated more than ``STUCK_AFTER`` ago
    and still not rewarded, the rewards still pending in a remote shop (welcome codes and
    contest prizes too) and the contest winners still not told; ``reward_referrer``,
    ``complete_reward`` and ``contest_prizes.award`` are idempotent, so a late duplicate
    is harmless.
    """
    from ..tasks import award_contest_prize, complete_pending_reward, issue_referrer_reward
    from .contest_prizes import stuck_winner_ids

    now = now or timezone.now()
    count = 0
    for program in Program.objects.filter(is_active=True):
        while ids := due_referral_ids(program, now):
            count += sum(validate_referral(pk, now) for pk in ids)
    for referral_id in stuck_reward_ids(now):
        issue_referrer_reward.delay(referral_id)
    for reward_id in pending_reward_ids(now):
        complete_pending_reward.delay(reward_id)
    for winner_id in stuck_winner_ids(now - STUCK_AFTER):
        award_contest_prize.delay(winner_id)
    return count


def stuck_reward_ids(now: datetime) -> list[int]:
    qs = Referral.objects.filter(
        status=ReferralStatus.VALIDATED, validated_at__lte=now - STUCK_AFTER
    ).order_by("pk")
    return list(qs.values_list("pk", flat=True)[: parrain_settings.VALIDATION_SWEEP_BATCH])


@transaction.atomic
def validate_referral(referral_id: int, now: datetime | None = None) -> bool:
    from ..tasks import issue_referrer_reward

    referral = referral_for_update(referral_id)
    if referral.status != ReferralStatus.CONVERTED:
        return False
    order = referral.order
    if order is not None and order.refunded_amount and not refund_keeps(referral, order):
        # A refund recorded outside record_refund (an import, a shop writing its total).
        move(referral, ReferralStatus.CANCELLED, action="referral.cancelled", reason="refunded")
        return False
    move(
        referral,
        ReferralStatus.VALIDATED,
        action="referral.validated",
        reason="delay_passed",
        at=now,
    )
    transaction.on_commit(lambda: issue_referrer_reward.delay(referral_id))
    return True


def reward_referrer(referral_id: int) -> Reward | None:
    """Issue the referrer reward of a validated referral, exactly once.

    With a remote fulfilment backend, in three steps: the pending reward is committed
    under the referral's lock, the shop is called with no lock held (``complete_reward``;
    a ``FulfilmentError`` there leaves the reward pending and the task retries), then the
    referral is marked rewarded under its lock again.
    """
    with transaction.atomic():
        referral = referral_for_update(referral_id)
        if referral.status == ReferralStatus.REWARDED:
            return Reward.objects.filter(referral=referral, side=Side.REFERRER).first()
        if referral.status != ReferralStatus.VALIDATED or not referral.referrer_terms:
            return None
        terms = RewardTerms.model_validate(referral.referrer_terms)
        reward = issue_reward(referral, Side.REFERRER, terms)
        if reward.status != RewardStatus.PENDING:
            return _rewarded(referral, reward)
    complete_reward(reward.pk)
    with transaction.atomic():
        referral = referral_for_update(referral_id)
        reward.refresh_from_db()
        if referral.status == ReferralStatus.VALIDATED and reward.status == RewardStatus.ISSUED:
            return _rewarded(referral, reward)
        if referral.status == ReferralStatus.CANCELLED:
            cancel_reward(reward, "referral_cancelled")
        return reward


def _rewarded(referral: Referral, reward: Reward) -> Reward:
    """Under the referral's lock: mark it rewarded and tell the referrer their code."""
    move(referral, ReferralStatus.REWARDED, action="referral.rewarded")
    # The reward notice is the scenario's (trigger reward_issued, fired by the receiver of
    # signals.reward_issued).
    return reward
