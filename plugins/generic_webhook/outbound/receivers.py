"""Receivers of the core's signals: each event becomes one stored message per endpoint,
sent by Celery once the transaction commits (nothing leaves before the data is saved)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from parrain.core import signals
from parrain.core.memo import scoped
from parrain.core.models import (
    BadgeHolding,
    Boost,
    ConsentRecord,
    Contact,
    ContactImport,
    Contest,
    ContestWinner,
    Program,
    Referral,
    Reward,
)
from parrain.core.prepared import Prepared

from ..models import OutboundEndpoint, OutboundMessage
from .events import (
    REFERRAL_EVENTS,
    badge_data,
    boost_data,
    consent_data,
    contest_data,
    import_data,
    referral_data,
    reward_data,
    winner_data,
)

# Every event's first read in a unit (each order): compiled once per process.
_ACTIVE_ENDPOINTS = Prepared(
    lambda program_id: OutboundEndpoint.objects.filter(program_id=program_id, is_active=True),
    -7_000_007,
)


def new_msg_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def emit(program: Program, event_type: str, data: dict[str, Any]) -> list[OutboundMessage]:
    """Store the event for every active endpoint of ``program`` that wants it."""
    return emit_many(program, [(event_type, data)])


def emit_many(
    program: Program, events: Iterable[tuple[str, dict[str, Any]]]
) -> list[OutboundMessage]:
    """Store each (event type, data) for every active endpoint of ``program`` that wants
    it, in their order: the endpoints read once, the messages written in one statement
    (a badge recompute emits hundreds of events a batch). ``events`` is only read when
    the program has an endpoint."""
    endpoints = scoped(
        ("parrain_webhooks.outbound_endpoints", program.pk),
        lambda: _ACTIVE_ENDPOINTS.all(program.pk),
    )
    if not endpoints:
        return []
    now = timezone.now()
    messages = [
        OutboundMessage(
            endpoint=endpoint,
            msg_id=new_msg_id(),
            event_type=event_type,
            payload={"type": event_type, "timestamp": now.isoformat(), "data": data},
            next_attempt_at=now,
        )
        for event_type, data in events
        for endpoint in endpoints
        if endpoint.wants(event_type)
    ]
    if not messages:
        return []
    messages = OutboundMessage.objects.bulk_create(messages)
    ids = [m.pk for m in messages]
    transaction.on_commit(lambda: _enqueue(ids))
    return messages


def _enqueue(ids: list[int]) -> None:
    from ..tasks import deliver_message

    for pk in ids:
        deliver_message.delay(pk)


def on_invitation(sender: Any, invitation: Any, referral: Referral | None, **kwargs: Any) -> None:
    if referral is not None:
        emit(referral.program, "referral.invited", referral_data(referral))


def on_status(
    sender: Any, referral: Referral, new_status: str, reason: str = "", **kw: Any
) -> None:
    event_type = REFERRAL_EVENTS.get(str(new_status))
    if event_type:
        emit(referral.program, event_type, referral_data(referral, reason))


def on_reward(sender: Any, reward: Reward, **kwargs: Any) -> None:
    emit(reward.program, "reward.issued", reward_data(reward))


def on_badge_awarded(
    sender: Any, holding: BadgeHolding, values: dict, batched: bool = False, **kwargs: Any
) -> None:
    if not batched:  # a batch's events are stored together (on_badges_changed)
        emit(holding.badge.program, "badge.awarded", badge_data(holding, values))


def on_badge_lost(
    sender: Any, holding: BadgeHolding, values: dict, batched: bool = False, **kwargs: Any
) -> None:
    if not batched:
        emit(holding.badge.program, "badge.lost", badge_data(holding, values))


def on_badges_changed(sender: Any, program: Program, changes: list, **kwargs: Any) -> None:
    """A recompute batch's awards and losses, in their order: one write for all of them."""
    events = (
        (
            "badge.awarded" if change.awarded else "badge.lost",
            badge_data(change.holding, change.values),
        )
        for change in changes
    )
    emit_many(program, events)


def on_contest_opened(sender: Any, contest: Contest, **kwargs: Any) -> None:
    emit(contest.program, "contest.opened", contest_data(contest))


def on_contest_drawn(
    sender: Any, contest: Contest, winners: list[ContestWinner], **kwargs: Any
) -> None:
    """The draw, or a redraw (``redraw`` true): ``winners`` are the picks of this call."""
    units = sum(p.quantity for p in contest.prizes.all())
    data = {
        **contest_data(contest),
        "redraw": bool(winners) and winners[0].pick >= units,
        "winners": [winner_data(w) for w in winners],
    }
    emit(contest.program, "contest.drawn", data)


def on_boost_started(sender: Any, boost: Boost, **kwargs: Any) -> None:
    emit(boost.program, "boost.started", boost_data(boost))


def on_boost_ended(sender: Any, boost: Boost, **kwargs: Any) -> None:
    emit(boost.program, "boost.ended", boost_data(boost))


def on_contacts_imported(sender: Any, contact_import: ContactImport, **kwargs: Any) -> None:
    emit(contact_import.program, "contacts.imported", import_data(contact_import))


def on_consent_recorded(
    sender: Any, record: ConsentRecord, contact: Contact, current: bool, **kwargs: Any
) -> None:
    """Only a record that is now the contact's answer: an older one kept as proof (a late
    webhook, an old line of a file) changes nothing the shop should act on."""
    if current:
        emit(contact.program, "consent.changed", consent_data(record, contact))


def connect() -> None:
    signals.invitation_issued.connect(on_invitation, dispatch_uid="parrain_webhooks_invitation")
    signals.referral_status_changed.connect(on_status, dispatch_uid="parrain_webhooks_status")
    signals.reward_issued.connect(on_reward, dispatch_uid="parrain_webhooks_reward")
    signals.badge_awarded.connect(on_badge_awarded, dispatch_uid="parrain_webhooks_badge_won")
    signals.badge_lost.connect(on_badge_lost, dispatch_uid="parrain_webhooks_badge_lost")
    signals.contest_opened.connect(on_contest_opened, dispatch_uid="parrain_webhooks_contest_on")
    signals.contest_drawn.connect(on_contest_drawn, dispatch_uid="parrain_webhooks_contest_drawn")
    signals.boost_started.connect(on_boost_started, dispatch_uid="parrain_webhooks_boost_start")
    signals.boost_ended.connect(on_boost_ended, dispatch_uid="parrain_webhooks_boost_end")
    signals.badges_changed.connect(on_badges_changed, dispatch_uid="parrain_webhooks_badges")
    signals.consent_recorded.connect(
        on_consent_recorded, dispatch_uid="parrain_webhooks_consent_recorded"
    )
    signals.contacts_imported.connect(
        on_contacts_imported, dispatch_uid="parrain_webhooks_contacts_imported"
    )
