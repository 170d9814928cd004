"""Badges: evaluate a contact's conditions, award and take back badges, report progress.

INTERFACE SKELETON (issue 11). The signatures and the dataclasses below are the contract
the adapters (widget API, Oscar, Wagtail, webhooks) build on; the bodies are filled in by
the core-evaluation work. Do not change a signature without telling everyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..models import Badge, BadgeHolding, Contact, Program


@dataclass(frozen=True)
class ConditionProgress:
    kind: str  # ConditionKind value
    value: Decimal  # the contact's current value (0/1 for holds_badge)
    threshold: Decimal
    period_days: int | None
    met: bool
    label: str  # human text in the asked language, e.g. "3 / 5 friends converted"
    missing: str  # human text of what is missing, e.g. "2 more friends converted"; "" when met


@dataclass(frozen=True)
class BadgeProgress:
    badge: Badge
    held: bool
    awarded_at: Any  # datetime | None
    conditions: list[ConditionProgress]
    match: str  # "all" / "any"

    @property
    def missing(self) -> str:
        """Human text of what is missing to earn the badge ("" when held or met)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ContactBadges:
    """Everything a contact's screens show: widget, account page, messages."""

    current: Badge | None  # highest-ranked badge held
    earned: list[BadgeHolding]  # live holdings, by rank
    next: BadgeProgress | None  # lowest-ranked badge not held (active), with its progress
    all: list[BadgeProgress] = field(default_factory=list)  # every active badge, by rank
    balance: int = 0  # loyalty points balance


@dataclass(frozen=True)
class Change:
    badge: Badge
    holding: BadgeHolding
    awarded: bool  # True: awarded, False: lost
    values: dict


def has_badges(program: Program) -> bool:
    """Whether ``program`` has an active badge (cheap, memoised: the receivers ask it on
    every event)."""
    raise NotImplementedError


def evaluate(contact: Contact, *, actor: str = "system") -> list[Change]:
    """Evaluate every active badge of the contact's program for ``contact``; award the
    badges whose conditions now hold, take back the re-evaluated ones that no longer do.
    Idempotent; serialised per contact (row lock). Runs in the Celery task, never inside
    checkout or a webhook request."""
    raise NotImplementedError


def award(badge: Badge, contact: Contact, *, actor: str, reason: str = "", values=None):
    """Give ``badge`` to ``contact`` (manual award needs a reason). Idempotent: returns
    (holding, created). Audits ``badge.awarded``, sends ``signals.badge_awarded`` and queues
    the ``badge_awarded`` message after commit."""
    raise NotImplementedError


def revoke(badge: Badge, contact: Contact, *, actor: str, reason: str = "", values=None):
    """Take ``badge`` back from ``contact``. Idempotent: returns the holding closed, or None
    when the contact did not hold it. Audits ``badge.lost`` and sends ``signals.badge_lost``."""
    raise NotImplementedError


def contact_badges(contact: Contact, language: str = "en") -> ContactBadges:
    """The contact's current badge, earned badges, next badge with progress, balance."""
    raise NotImplementedError


def image_url(badge: Badge) -> str:
    """Absolute URL of the badge thumbnail (PARRAIN_BASE_URL + MEDIA_URL path), "" if none."""
    raise NotImplementedError


def referrer_rule_for(contact: Contact):
    """The RewardRule of the highest-ranked badge ``contact`` holds that carries one, or
    None (then the program's referrer rule applies). Used when an invitation's referrer
    terms are frozen."""
    raise NotImplementedError


def start_recompute(program: Program, *, reason: str = "") -> Any:
    """Queue a background re-evaluation of every contact of ``program`` (after commit) and
    return its ``BadgeRecompute`` row, whose ``done``/``total`` the admins show as progress.
    Called when a badge's conditions change; a recompute already queued or running for the
    program is reused instead of starting a second one."""
    raise NotImplementedError
