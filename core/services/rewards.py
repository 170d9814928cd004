"""Issue and cancel rewards. A reward exists at most once per referral and side, and a
contest prize (side ``prize``, no referral) at most once per winner.

With a remote fulfilment backend (the code lives in another shop, reached over HTTP) a
reward is issued in two steps, so that no shop call happens inside a transaction or under
a row lock (decision record 0003): ``issue_reward`` commits it ``pending`` with its code
decided, then ``complete_reward`` creates that code in the shop and marks it issued.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import audit, signals
from ..conf import parrain_settings
from ..fulfilment import get_backend
from ..models import Contact, ContestWinner, Program, Referral, Reward, WinnerStatus
from ..models.choices import ReferralStatus, RewardKind, RewardStatus, Side
from . import loyalty
from .offers import RewardTerms

#: A pending reward older than this lost its task (worker killed, broker down, shop down
#: past the retries): the validation sweep enqueues it again.
PENDING_STUCK_AFTER = timedelta(minutes=15)


def existing_reward(referral: Referral, side: Side) -> Reward | None:
    return Reward.objects.filter(referral=referral, side=side).first()


def issue_reward(referral: Referral, side: Side, terms: RewardTerms) -> Reward:
    """Issue the ``side`` reward of ``referral`` once; a second call returns the first.

    The caller holds the referral's row lock. With a remote backend the reward comes back
    ``pending``: once the caller's transaction has committed, it calls ``complete_reward``.
    """
    found = existing_reward(referral, side)
    if found is not None:
        return found
    recipient = referral.referrer if side == Side.REFERRER else referral.referee
    reward = _new_reward(referral.program, recipient, side, terms)
    reward.referral = referral
    return _save_once(reward, lambda: Reward.objects.get(referral=referral, side=side))


def issue_prize_reward(winner: ContestWinner, terms: RewardTerms) -> Reward:
    """Issue a contest prize (side ``prize``, no referral) once per winner, like a referral
    reward: the caller holds the winner's row lock, then completes a pending one."""
    found = Reward.objects.filter(prize_winner=winner).first()
    if found is not None:
        return found
    contest = winner.contest
    reward = _new_reward(contest.program, winner.entry.contact, Side.PRIZE, terms)
    reward.prize_winner = winner
    return _save_once(reward, lambda: Reward.objects.get(prize_winner=winner))


def _new_reward(program: Program, recipient: Contact, side: Side, terms: RewardTerms) -> Reward:
    now = timezone.now()
    return Reward(
        program=program,
        recipient=recipient,
        side=side,
        kind=terms.kind,
        value=terms.value,
        currency=terms.currency,
        terms=terms.as_json(),
        issued_at=now,
        expires_at=now + timedelta(days=terms.validity_days) if terms.validity_days else None,
    )


def _save_once(reward: Reward, first: Callable[[], Reward]) -> Reward:
    """Decide the code and save; when a concurrent call saved it first, return that one."""
    backend = get_backend()
    try:
        with transaction.atomic():
            if backend.remote:
                reward.code = backend.decide_code(reward)
                reward.status = RewardStatus.PENDING if reward.code else RewardStatus.ISSUED
            else:
                reward.code = backend.issue_code(reward)
            reward.save()
    except IntegrityError:
        return first()
    if reward.status == RewardStatus.ISSUED:
        _announce(reward)
    return reward


def complete_reward(reward_id: int) -> Reward:
    """Create a pending reward's code in the shop, then mark it issued.

    Call it with no transaction open: the shop call holds no lock. Safe to repeat: the
    backend's ``push`` is idempotent on the code decided in step one, and only the call
    that moves the row from pending to issued writes the audit entry and sends
    ``reward_issued``. A ``FulfilmentError`` leaves the reward pending for a retry.
    """
    reward = Reward.objects.select_related("program", "recipient", "referral", "prize_winner").get(
        pk=reward_id
    )
    if reward.status != RewardStatus.PENDING:
        return reward
    withdrawn = _withdrawn(reward)
    if withdrawn:
        cancel_reward(reward, withdrawn)
        return reward
    backend = get_backend()
    backend.push(reward)
    with transaction.atomic():
        moved = Reward.objects.filter(pk=reward.pk, status=RewardStatus.PENDING).update(
            status=RewardStatus.ISSUED
        )
        reward.refresh_from_db(fields=["status"])
        if moved:
            _announce(reward)
    if reward.status == RewardStatus.CANCELLED:
        # Cancelled while the shop was creating it: take back what was just created.
        backend.cancel_code(reward)
    return reward


def _withdrawn(reward: Reward) -> str:
    """Why a pending reward is no longer due: its referral was cancelled, or its contest
    prize went to someone else (redrawn)."""
    if reward.referral is not None and reward.referral.status == ReferralStatus.CANCELLED:
        return "referral_cancelled"
    winner = reward.prize_winner
    if winner is not None and winner.status == WinnerStatus.UNCLAIMED:
        return "prize_redrawn"
    return ""


def pending_reward_ids(now: datetime) -> list[int]:
    """Pending rewards whose completion should have happened long ago (for the sweep)."""
    qs = Reward.objects.filter(
        status=RewardStatus.PENDING, issued_at__lte=now - PENDING_STUCK_AFTER
    ).order_by("pk")
    return list(qs.values_list("pk", flat=True)[: parrain_settings.VALIDATION_SWEEP_BATCH])


def _announce(reward: Reward) -> None:
    if reward.kind == RewardKind.LOYALTY_POINTS:
        loyalty.credit_reward(reward)
    audit.record(
        reward.program,
        f"reward.issued.{reward.side}",
        referral=reward.referral,
        contact=reward.recipient,
        code=reward.code or "",
        kind=reward.kind,
        value=reward.value,
    )
    signals.reward_issued.send(type(reward.program), reward=reward)


def cancel_reward(reward: Reward, reason: str) -> None:
    """Cancel a reward; a remote shop is told after commit, never under the caller's lock."""
    if reward.status in (RewardStatus.CANCELLED, RewardStatus.REDEEMED):
        return
    reward.status = RewardStatus.CANCELLED
    reward.cancelled_at = timezone.now()
    reward.save(update_fields=["status", "cancelled_at"])
    if reward.kind == RewardKind.LOYALTY_POINTS:
        loyalty.reverse_reward(reward)
    backend = get_backend()
    if backend.remote:
        transaction.on_commit(lambda: backend.cancel_code(reward), robust=True)
    else:
        backend.cancel_code(reward)
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
