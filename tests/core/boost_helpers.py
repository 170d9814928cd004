"""Shared set-up for the boost tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from parrain.core.models import Boost, Program
from parrain.core.models.choices import RewardKind
from parrain.core.services import boosts

PARIS = ZoneInfo("Europe/Paris")
DOUBLE = {"kind": RewardKind.FIXED_AMOUNT, "value": Decimal("20"), "validity_days": 90}


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def make_boost(program: Program, start: datetime, end: datetime, **extra: Any) -> Boost:
    fields: dict[str, Any] = {
        "name": "Double week",
        "labels": {"en": "Double reward until Sunday", "fr": "Récompense doublée"},
        "starts_at": start,
        "ends_at": end,
        "referrer_reward": DOUBLE,
        **extra,
    }
    return boosts.create_boost(program, actor="test", **fields)
