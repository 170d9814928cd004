"""A customer's badges and loyalty points as the public widget API shows them.

The evaluation lives in ``core.services.badges``; this module only turns its answer
(``ContactBadges``) into the widget's JSON, in the language asked, and works out the
single percentage a progress bar needs so that the browser bundle stays small.
"""

from __future__ import annotations

from django.utils import translation

from ..models import Badge, Contact
from ..services import badges as badge_service
from ..services import loyalty
from ..services.badges import BadgeProgress, ConditionProgress, ContactBadges
from .widget_schemas import (
    BadgeOut,
    BadgeProgressOut,
    ConditionOut,
    EarnedBadgeOut,
    LedgerLineOut,
    LoyaltyOut,
)

LEDGER_LINES = 10


def badge_out(badge: Badge, language: str) -> BadgeOut:
    return BadgeOut(**_badge_fields(badge, language))


def _badge_fields(badge: Badge, language: str) -> dict:
    return {
        "id": badge.pk,
        "rank": badge.rank,
        "name": badge.name(language),
        "description": badge.description(language),
        "image_url": badge_service.image_url(badge),
        "colour": badge.colour,
    }


def _share(condition: ConditionProgress) -> float:
    if condition.met or condition.threshold <= 0:
        return 1.0
    return max(0.0, min(1.0, float(condition.value / condition.threshold)))


def percent(progress: BadgeProgress) -> int:
    """How far the badge is: the mean share of its conditions (*all*), the best (*any*)."""
    if progress.held:
        return 100
    shares = [_share(c) for c in progress.conditions]
    if not shares:
        return 0
    share = max(shares) if progress.match == "any" else sum(shares) / len(shares)
    return int(share * 100)


def condition_out(condition: ConditionProgress) -> ConditionOut:
    return ConditionOut(
        kind=condition.kind,
        label=condition.label,
        missing=condition.missing,
        value=float(condition.value),
        threshold=float(condition.threshold),
        period_days=condition.period_days,
        met=condition.met,
    )


def progress_out(progress: BadgeProgress, language: str) -> BadgeProgressOut:
    return BadgeProgressOut(
        **_badge_fields(progress.badge, language),
        held=progress.held,
        awarded_at=progress.awarded_at,
        match="any" if progress.match == "any" else "all",
        percent=percent(progress),
        missing="" if progress.held else progress.missing,
        conditions=[condition_out(c) for c in progress.conditions],
    )


def contact_badges(contact: Contact, language: str) -> ContactBadges:
    """The service's answer, its human texts (labels, missing) in ``language``."""
    with translation.override(language):
        return badge_service.contact_badges(contact, language)


def me_fields(contact: Contact, language: str) -> dict:
    """The badge and points part of ``/me``."""
    found = contact_badges(contact, language)
    earned = [
        EarnedBadgeOut(**_badge_fields(h.badge, language), awarded_at=h.awarded_at)
        for h in found.earned
    ]
    return {
        "badges": [badge.name for badge in earned],
        "current_badge": badge_out(found.current, language) if found.current else None,
        "earned": earned,
        "next_badge": progress_out(found.next, language) if found.next else None,
        "points": found.balance,
    }


def loyalty_space(contact: Contact, language: str) -> LoyaltyOut:
    """What the loyalty widget shows: points, the ledger's last lines, every badge."""
    found = contact_badges(contact, language)
    with translation.override(language):
        entries = [
            LedgerLineOut(occurred_at=e.occurred_at, label=loyalty.action_label(e), points=e.points)
            for e in loyalty.recent_entries(contact, LEDGER_LINES)
        ]
    return LoyaltyOut(
        first_name=contact.first_name,
        points=found.balance,
        entries=entries,
        current_badge=badge_out(found.current, language) if found.current else None,
        badges=[progress_out(p, language) for p in found.all],
    )
