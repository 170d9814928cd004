"""A scenario step's audience conditions, checked for many recipients at once (helper: engine).

The same check runs when a trigger schedules a step (``scenarios.fire``) and again when the
message is due (``engine.send_due``): a reminder whose goal was reached meanwhile (the friend
ordered) is dropped with the condition as its reason. Each condition that needs the
database costs one query for the whole batch, whatever its size.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..models import Contact, Invitation, Order, Referral, Reward
from ..models.choices import Audience, ReferralStatus, RewardStatus, Side

# A friend whose referral reached one of these has ordered through it.
CONVERTED = (
    ReferralStatus.REVIEW,
    ReferralStatus.CONVERTED,
    ReferralStatus.VALIDATED,
    ReferralStatus.REWARDED,
)


@dataclass(frozen=True)
class Candidate:
    """One recipient to check: ``since`` is when the trigger happened (an order placed
    after it means the friend converted meanwhile)."""

    key: Hashable
    contact: Contact
    conditions: Sequence[str]
    since: datetime


def unmet(candidates: Sequence[Candidate]) -> dict[Hashable, str]:
    """The first condition each candidate fails (an ``Audience`` value), by key; candidates
    meeting all their conditions are absent."""
    wanted = {c for candidate in candidates for c in candidate.conditions}
    if not wanted:
        return {}
    failing = _failing_sets(wanted, candidates)
    result: dict[Hashable, str] = {}
    for candidate in candidates:
        for condition in candidate.conditions:
            if _fails(condition, candidate, failing):
                result[candidate.key] = condition
                break
    return result


def _fails(condition: str, candidate: Candidate, failing: dict[str, object]) -> bool:
    contact = candidate.contact
    if condition == Audience.OPTED_IN:
        return contact.consent_recontact is not True
    if condition == Audience.IS_CUSTOMER:
        return not contact.is_customer
    if condition == Audience.NOT_CONVERTED:
        converted, orders = failing[condition]  # type: ignore[misc]
        return contact.pk in converted or any(
            placed >= candidate.since for placed in orders.get(contact.pk, ())
        )
    if condition in failing:
        return contact.pk in failing[condition]  # type: ignore[operator]
    raise ValueError(f"unknown audience condition {condition!r}")


def _failing_sets(wanted: set[str], candidates: Sequence[Candidate]) -> dict[str, object]:
    ids = {c.contact.pk for c in candidates if c.conditions}
    sets: dict[str, object] = {}
    if Audience.NOT_CLAIMED in wanted:
        registered = Referral.objects.filter(referee_id__in=ids, registered_at__isnull=False)
        welcomed = Reward.objects.filter(recipient_id__in=ids, side=Side.REFEREE).exclude(
            status=RewardStatus.CANCELLED
        )
        sets[Audience.NOT_CLAIMED] = set(registered.values_list("referee_id", flat=True)) | set(
            welcomed.values_list("recipient_id", flat=True)
        )
    if Audience.NOT_CONVERTED in wanted:
        sets[Audience.NOT_CONVERTED] = _conversions(ids, candidates)
    if Audience.NO_REWARD_YET in wanted:
        rewarded = Reward.objects.filter(recipient_id__in=ids, side=Side.REFERRER).exclude(
            status=RewardStatus.CANCELLED
        )
        sets[Audience.NO_REWARD_YET] = set(rewarded.values_list("recipient_id", flat=True))
    if Audience.NOT_REFERRER in wanted:
        invited = Invitation.objects.filter(referrer_id__in=ids)
        sets[Audience.NOT_REFERRER] = set(invited.values_list("referrer_id", flat=True))
    return sets


def _conversions(
    ids: set[int], candidates: Sequence[Candidate]
) -> tuple[set[int], dict[int, list[datetime]]]:
    """Friends whose referral converted, and each contact's orders since the earliest
    trigger of the batch."""
    converted = set(
        Referral.objects.filter(referee_id__in=ids, status__in=CONVERTED).values_list(
            "referee_id", flat=True
        )
    )
    since = min(c.since for c in candidates)
    orders: dict[int, list[datetime]] = {}
    recent = Order.objects.filter(contact_id__in=ids, placed_at__gte=since)
    for contact_id, placed_at in recent.values_list("contact_id", "placed_at"):
        orders.setdefault(contact_id, []).append(placed_at)
    return converted, orders
