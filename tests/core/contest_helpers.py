"""Contests ready to test: a draft with rules, prizes and a public value source."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from parrain.core.models import Contest, Program
from parrain.core.services import contest_setup

PRIZES = [
    {"label": "Weekend for two", "quantity": 1},
    {"label": "Voucher", "quantity": 2, "reward": {"kind": "fixed_amount", "value": "20"}},
]


def contest_fields(start: datetime | None = None, **extra: Any) -> dict[str, Any]:
    start = start or timezone.now() + timedelta(hours=1)
    return {
        "name": "Summer draw",
        "names": {"fr": "Grand tirage d'été", "en": "Summer prize draw"},
        "rules_texts": {"fr": "Règlement : un ticket par ami.", "en": "Rules: one ticket."},
        "entries_start": start,
        "entries_end": start + timedelta(days=10),
        "draw_at": start + timedelta(days=11),
        "public_value_source": "drand round 5000000",
        **extra,
    }


def make_contest(program: Program, *, prizes: list[dict] | None = None, **extra: Any) -> Contest:
    return contest_setup.create_contest(
        program,
        prizes=PRIZES if prizes is None else prizes,
        actor="tests",
        **contest_fields(**extra),
    )


def open_contest(program: Program, **extra: Any) -> Contest:
    return contest_setup.open_contest(make_contest(program, **extra), actor="tests")
