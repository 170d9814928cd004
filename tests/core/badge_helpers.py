"""Badges and activity for the badge tests, through the services where one exists."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

from django.utils import timezone

from parrain.core.factories import ContactFactory, OrderFactory
from parrain.core.models import (
    Badge,
    BadgeCondition,
    Contact,
    LoyaltyKind,
    Program,
    Referral,
)
from parrain.core.models.choices import Channel, ReferralStatus
from parrain.core.services.invitations import issue_invitation
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
        names={"en": name, "fr": f"{name} FR"},
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
    """One loyalty action of ``contact``, now (the clock may be travelled)."""
    record_action(
        contact.program,
        contact,
        kind,
        points,
        source="api",
        external_id=f"test-{next(_ids)}",
        **extra,
    )


def invite(referrer: Contact) -> None:
    friend = ContactFactory(program=referrer.program)
    issue_invitation(referrer, friend, Channel.EMAIL, timezone.now())


def referral(referrer: Contact, status: str, amount: str = "50") -> Referral:
    """A referral of ``referrer`` that reached ``status`` now, with its converting order."""
    program, now = referrer.program, timezone.now()
    friend = ContactFactory(program=program)
    reached = list(ReferralStatus).index(ReferralStatus(status))
    order = None
    if reached >= list(ReferralStatus).index(ReferralStatus.CONVERTED):
        order = OrderFactory(program=program, contact=friend, amount=Decimal(amount))
    stamps = {
        "registered_at": now,
        "converted_at": now if order else None,
        "validated_at": now if status in ("validated", "rewarded") else None,
    }
    made = Referral.objects.create(
        program=program, referrer=referrer, referee=friend, status=status, order=order, **stamps
    )
    if order is not None:
        order.referral = made
        order.save(update_fields=["referral"])
    return made
