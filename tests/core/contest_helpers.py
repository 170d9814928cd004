"""Contests and referral activity for the contest tests.

``make_contest`` makes a draft through ``contest_setup`` (rules, prizes, a public value
source); ``open_contest`` writes an open contest with the ORM, the way
``contest_setup.open_contest`` leaves it: a secret seed of 32 random bytes in hex and its
SHA-256 commitment.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from django.utils import timezone

from parrain.core.factories import ContactFactory
from parrain.core.models import (
    Contact,
    Contest,
    ContestPrize,
    ContestStatus,
    Invitation,
    Program,
    Referral,
    RewardRule,
)
from parrain.core.models.choices import Channel, ReferralStatus
from parrain.core.services import contest_setup

_ids = count(1)
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


def open_contest(
    program: Program,
    *,
    start: datetime,
    days: int = 10,
    prizes: list[tuple[str, int, RewardRule | None]] | None = None,
    **fields: object,
) -> Contest:
    seed = secrets.token_hex(32)
    end = start + timedelta(days=days)
    contest = Contest.objects.create(
        program=program,
        name=fields.pop("name", "Christmas draw"),
        rules_texts={"en": "Rules", "fr": "Règlement"},
        status=fields.pop("status", ContestStatus.OPEN),
        entries_start=start,
        entries_end=end,
        draw_at=fields.pop("draw_at", end + timedelta(days=1)),
        public_value_source="drand round 5000000",
        server_seed=seed,
        commitment=hashlib.sha256(seed.encode("ascii")).hexdigest(),
        opened_at=start,
        **fields,
    )
    for position, (label, quantity, rule) in enumerate(prizes or [("Hamper", 1, None)], 1):
        ContestPrize.objects.create(
            contest=contest, position=position, label=label, quantity=quantity, reward_rule=rule
        )
    return contest


def person(program: Program, **extra: object) -> Contact:
    n = next(_ids)
    return ContactFactory(program=program, email=f"p{n}@example.com", **extra)


def referrer(program: Program, **extra: object) -> Contact:
    return person(program, referrer_code=f"CODE{next(_ids)}", **extra)


def invite(
    program: Program,
    sender: Contact,
    at: datetime,
    *,
    status: str = ReferralStatus.INVITED,
    converted: bool = False,
    validated: bool = False,
) -> Referral:
    """One invitation from ``sender`` to a new friend at ``at``, with its referral in
    ``status`` (converted a day later, validated two days later when asked)."""
    friend = person(program)
    invitation = Invitation.objects.create(
        program=program,
        referrer=sender,
        referee=friend,
        channel=Channel.EMAIL,
        issued_at=at,
        referrer_terms={},
    )
    return Referral.objects.create(
        program=program,
        referrer=sender,
        referee=friend,
        invitation=invitation,
        status=status,
        invited_at=at,
        converted_at=at + timedelta(days=1) if converted or validated else None,
        validated_at=at + timedelta(days=2) if validated else None,
    )


def converted_friends(program: Program, friends_of: dict[str, int], **names: str) -> list:
    """Referrers (by email) with that many friends converted now; ``names`` gives first
    names as email=first name (default: the part before @, capitalised)."""
    from parrain.core.factories import ContactFactory

    from .badge_helpers import referral

    referrers = []
    for email, friends in friends_of.items():
        first = names.get(email) or email.split("@")[0].capitalize()
        referrer = ContactFactory(
            program=program, email=email, first_name=first, last_name="Martin"
        )
        for _ in range(friends):
            referral(referrer, "converted")
        referrers.append(referrer)
    return referrers
