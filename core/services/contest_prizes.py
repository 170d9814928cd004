"""Contest prizes: issued once per winner through the reward fulfilment, winners told.

After the draw (or a redraw) commits, one task per winner (``core.tasks.award_contest_prize``)
issues the prize when it is a reward rule (side ``prize``, no referral: the same backends,
codes and pending/complete steps as a referral reward), then queues the ``contest_won``
message, whose variables are read when it is sent. A physical prize is handed over by hand
(``contests.mark_delivered``). A failing shop leaves the winner un-notified for the task's
retries; nothing is issued twice (``Reward.prize_winner`` is one-to-one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone, translation

from ..conf import parrain_settings
from ..locks import row_for_update
from ..models import Contact, ContestWinner, Reward, WinnerStatus
from ..models.choices import RewardStatus
from .offers import describe, terms_from_rule
from .rewards import cancel_reward, complete_reward, issue_prize_reward


def award_after_commit(winners: list[ContestWinner]) -> None:
    from ..tasks import award_contest_prize

    for pk in [w.pk for w in winners]:
        transaction.on_commit(lambda pk=pk: award_contest_prize.delay(pk))


def award(winner_id: int) -> ContestWinner | None:
    """Issue the winner's prize (once) and tell them (once); nothing for a redrawn pick."""
    with transaction.atomic():
        winner = row_for_update(ContestWinner, winner_id)
        if winner.status == WinnerStatus.UNCLAIMED:
            return None
        reward = _issue(winner)
    if reward is not None and reward.status == RewardStatus.PENDING:
        reward = complete_reward(reward.pk)
    _notify(winner)
    return winner


def stuck_winner_ids(before: datetime) -> list[int]:
    """Winners drawn before ``before`` and still not told (their task was lost, or the
    shop failed past the retries) who can be told: for the validation sweep."""
    qs = ContestWinner.objects.filter(
        status=WinnerStatus.DRAWN,
        drawn_at__lte=before,
        entry__contact__erased_at__isnull=True,
        entry__contact__unsubscribed_at__isnull=True,
    ).order_by("pk")
    return list(qs.values_list("pk", flat=True)[: parrain_settings.VALIDATION_SWEEP_BATCH])


def _issue(winner: ContestWinner) -> Reward | None:
    rule = winner.prize.reward_rule
    contact = winner.entry.contact
    if rule is None or contact is None or contact.is_erased:
        return None
    terms = terms_from_rule(rule).model_copy(update={"source": "prize"})
    return issue_prize_reward(winner, terms)


def _notify(winner: ContestWinner) -> None:
    from ..models.choices import Recipient, Trigger
    from .scenarios import fire

    contact = winner.entry.contact
    if contact is None or contact.is_erased or contact.unsubscribed_at is not None:
        return
    told = ContestWinner.objects.filter(
        pk=winner.pk, status=WinnerStatus.DRAWN, notified_at__isnull=True
    ).update(status=WinnerStatus.NOTIFIED, notified_at=timezone.now())
    if told:
        fire(
            contact.program,
            Trigger.CONTEST_DRAWN,
            subject=winner,
            people={Recipient.CONTACT: contact},
        )


def withdraw(winner: ContestWinner) -> None:
    """A redrawn (unclaimed) winner's prize code stops working (under the winner's lock)."""
    reward = Reward.objects.filter(prize_winner=winner).first()
    if reward is not None:
        cancel_reward(reward, "prize_redrawn")


def redeemed(winner: ContestWinner) -> bool:
    return Reward.objects.filter(prize_winner=winner, status=RewardStatus.REDEEMED).exists()


def message_context(contact: Contact, context: dict[str, Any]) -> dict[str, Any] | None:
    """The ``contest_won`` variables as they stand at sending; None when the prize was
    redrawn since (or the winner is not this contact)."""
    from ..messaging import language_for

    winner = (
        ContestWinner.objects.select_related("contest", "prize", "entry")
        .filter(pk=context.get("winner_id"), entry__contact=contact)
        .exclude(status=WinnerStatus.UNCLAIMED)
        .first()
    )
    if winner is None:
        return None
    language = language_for(contact)
    contest = winner.contest
    reward = (
        Reward.objects.filter(prize_winner=winner).exclude(status=RewardStatus.CANCELLED).first()
    )
    with translation.override(language):
        return {
            **context,
            "contest_title": contest.names.get(language) or contest.name,
            "prize": winner.prize.label,
            "offer": describe(reward.terms, language) if reward else "",
            "code": reward.code if reward and reward.status != RewardStatus.PENDING else "",
            "expires_at": _date(reward.expires_at) if reward else "",
            "physical": winner.prize.reward_rule_id is None,
            "rules_url": contest.rules_url,
        }


def _date(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""
