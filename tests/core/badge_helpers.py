"""Badges and activity for the badge tests, through the services where one exists."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from parrain.core.models import Badge, BadgeCondition, Contact, LoyaltyKind, Program
from parrain.core.services.loyalty import record_action

_ids = count(1)


def make_badge(
    program: Program,
    name: str,
    *conditions: dict,
    rank: int = 1,
    match: str = "all",
    keep: bool = True,
    **extra: object,
) -> Badge:
    """A badge with ``conditions``, each a dict like {"kind": "friends_converted",
    "threshold": 3, "period_days": 30}."""
    badge = Badge.objects.create(
        program=program,
        rank=rank,
        names={"en": name, "fr": f"{name} (fr)"},
        match=match,
        keep_once_earned=keep,
        **extra,
    )
    for condition in conditions:
        BadgeCondition.objects.create(
            badge=badge, **{**condition, "threshold": Decimal(str(condition["threshold"]))}
        )
    return badge


def act(
    contact: Contact, kind: str = LoyaltyKind.REVIEW, points: int = 10, **extra: object
) -> None:
    record_action(
        contact.program,
        contact,
        kind,
        points,
        source="api",
        external_id=f"test-{next(_ids)}",
        **extra,
    )
