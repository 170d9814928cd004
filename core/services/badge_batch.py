"""Award and take back badges for many contacts at once: the full recompute's write path.

The decisions, rows and effects are those of ``badges.evaluate`` contact by contact: the
holdings, the ``badge.awarded`` / ``badge.lost`` audit events with the figures that decided,
``signals.badge_awarded`` / ``badge_lost`` for each change, the outbound events, the
``badge_awarded`` messages after commit (one task for the batch). Only the writing is
set-wise: a first recompute awards a badge to one contact in ten, and eight statements per
award made it take seventeen minutes for a million contacts.

In one transaction: the batch's contacts are locked in one statement (primary-key order, as
every lock of the core), their figures and live holdings read again under the lock and
decided again, so an evaluation that ran meanwhile is seen and never doubled; then one
insert for the new holdings, one update for the lost ones, one insert for the audit events.
Each change's own signal is sent with ``batched=True``, then ``signals.badges_changed`` once
with them all (the outbound webhook stores the batch's events in one write).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .. import audit, signals
from ..locks import contacts_for_update
from ..models import Badge, BadgeHolding, Contact, Program
from . import badge_metrics as metrics
from .badges import (
    Change,
    all_conditions,
    audit_event,
    decide,
    evaluating,
    new_holding,
    queue_award_messages,
)

#: (contact, badge, awarded?, the figures that decided), in the order they apply.
Decision = tuple[Contact, Badge, bool, dict]


def evaluate_many(
    contact_ids: list[int], badges: list[Badge], *, actor: str = "system", now: datetime
) -> list[Change]:
    """Evaluate ``badges`` (a program's definitions, prerequisites first) for the contacts
    ``contact_ids`` and apply what changes, contact by contact in primary-key order.
    Contacts erased or deleted since they were read are left alone."""
    if not badges or not contact_ids:
        return []
    with transaction.atomic():
        contacts = [c for c in contacts_for_update(contact_ids) if not c.is_erased]
        ids = [c.pk for c in contacts]
        values = metrics.for_contacts(ids, all_conditions(badges), now)
        live = live_holdings(ids)
        decisions = [
            (contact, badge, awarded, figures)
            for contact in contacts
            for badge, awarded, figures in decide(badges, values[contact.pk], set(live[contact.pk]))
        ]
        if not decisions:
            return []
        with evaluating(*ids):
            changes = _write(decisions, live, actor)
            _announce(badges[0].program, changes)
    return changes


def live_holdings(contact_ids: list[int]) -> dict[int, dict[int, BadgeHolding]]:
    """Each contact's live holdings by badge id (every contact present, maybe empty)."""
    held: dict[int, dict[int, BadgeHolding]] = {pk: {} for pk in contact_ids}
    for holding in BadgeHolding.objects.filter(contact_id__in=contact_ids, lost_at__isnull=True):
        held[holding.contact_id][holding.badge_id] = holding
    return held


def _write(
    decisions: list[Decision], live: dict[int, dict[int, BadgeHolding]], actor: str
) -> list[Change]:
    lost_at = timezone.now()
    changes = []
    for contact, badge, awarded, figures in decisions:
        if awarded:
            holding = new_holding(badge, contact, actor, "", figures)
        else:
            holding = live[contact.pk][badge.pk]
            holding.badge, holding.contact = badge, contact
            holding.lost_at, holding.lost_by = lost_at, actor
        changes.append(Change(badge=badge, holding=holding, awarded=awarded, values=figures))
    BadgeHolding.objects.bulk_create([c.holding for c in changes if c.awarded])
    gone = [c.holding.pk for c in changes if not c.awarded]
    if gone:
        BadgeHolding.objects.filter(pk__in=gone).update(lost_at=lost_at, lost_by=actor)
    audit.record_many(
        [
            audit_event(
                c.holding, "badge.awarded" if c.awarded else "badge.lost", actor, "", c.values
            )
            for c in changes
        ]
    )
    return changes


def _announce(program: Program, changes: list[Change]) -> None:
    for change in changes:
        signal = signals.badge_awarded if change.awarded else signals.badge_lost
        signal.send(Program, holding=change.holding, values=change.values, batched=True)
    signals.badges_changed.send(Program, program=program, changes=changes)
    queue_award_messages([change.holding for change in changes if change.awarded])
