"""Badges: evaluate a contact's conditions, award and take back badges, report progress.

The signatures and dataclasses here are the contract the adapters (widget API, Oscar,
Wagtail, webhooks) build on. The evaluation reads each figure once (``badge_metrics``: one
aggregate query per family), then walks the program's badges with prerequisites first, so
that a badge requiring another can be earned in the same pass. Awarding and taking back
are idempotent and serialised by the contact's row lock. See docs/gamification.md.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import audit, signals
from ..conf import parrain_settings
from ..exceptions import InvalidInput
from ..locks import contact_for_update
from ..memo import Memo
from ..models import (
    AuditEvent,
    Badge,
    BadgeCondition,
    BadgeHolding,
    BadgeMatch,
    BadgeRecompute,
    ConditionKind,
    Contact,
    Program,
)
from . import badge_metrics as metrics
from . import badge_texts as texts

#: Badge definitions and "has badges" are read on every event: a few seconds of memory per
#: process; this process forgets at once when a badge changes (core/receivers.py).
DEFINITIONS: Memo[list[Badge]] = Memo(seconds=5)
HAS_BADGES: Memo[bool] = Memo(seconds=10)
#: The contacts being evaluated in this context: their own award signals need no new task.
EVALUATING: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "parrain_badges_evaluating", default=frozenset()
)


def balance_condition() -> BadgeCondition:
    """The balance as a condition, so that screens read it in the same loyalty query."""
    return BadgeCondition(kind=ConditionKind.POINTS_BALANCE, threshold=Decimal("1"))


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
        """Human text of what is missing to earn the badge ("" when held or met).

        *All*: every unmet condition; *any*: the condition closest to its threshold.
        """
        unmet = [c for c in self.conditions if not c.met]
        if self.held or not unmet:
            return ""
        if self.match == BadgeMatch.ANY:
            if len(unmet) < len(self.conditions):
                return ""
            return max(unmet, key=lambda c: c.value / c.threshold).missing
        return ", ".join(c.missing for c in unmet)


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


# -- definitions --------------------------------------------------------------------------


def has_badges(program: Program) -> bool:
    """Whether ``program`` has an active badge (cheap, memoised: the receivers ask it on
    every event)."""
    return HAS_BADGES.get(
        program.pk, lambda: Badge.objects.filter(program=program, is_active=True).exists()
    )


def definitions(program_id: int, *, fresh: bool = False) -> list[Badge]:
    """The program's active badges with their conditions, prerequisites first."""
    if fresh:
        DEFINITIONS.forget(program_id)
    return DEFINITIONS.get(program_id, lambda: _load_definitions(program_id))


def forget(program_id: int | None = None) -> None:
    """A badge or condition changed: this process reads the definitions again."""
    DEFINITIONS.forget(program_id)
    HAS_BADGES.forget(program_id)


def _load_definitions(program_id: int) -> list[Badge]:
    conditions = BadgeCondition.objects.select_related("required_badge__program")
    badges = list(
        Badge.objects.filter(program_id=program_id, is_active=True)
        .select_related("program")
        .prefetch_related(Prefetch("conditions", queryset=conditions.order_by("pk")))
        .order_by("rank", "pk")
    )
    return prerequisites_first(badges)


def prerequisites_first(badges: list[Badge]) -> list[Badge]:
    """Rank order, except that a badge comes after the badges it requires. A cycle (refused
    when conditions are edited) cannot loop here: a badge already on the path is skipped."""
    by_pk = {badge.pk: badge for badge in badges}
    ordered: list[Badge] = []
    placed: set[int] = set()

    def place(badge: Badge, path: frozenset[int]) -> None:
        if badge.pk in placed or badge.pk in path:
            return
        for condition in conditions_of(badge):
            required = by_pk.get(condition.required_badge_id or 0)
            if required is not None:
                place(required, path | {badge.pk})
        placed.add(badge.pk)
        ordered.append(badge)

    for badge in badges:
        place(badge, frozenset())
    return ordered


def all_conditions(badges: list[Badge]) -> list[BadgeCondition]:
    return [condition for badge in badges for condition in conditions_of(badge)]


def conditions_of(badge: Badge) -> list[BadgeCondition]:
    """The badge's conditions as a plain list, kept on the (memoised) badge: a recompute
    asks a million times, and each ``.all()`` of a prefetched relation builds a queryset."""
    found = badge.__dict__.get("_condition_list")
    if found is None:
        found = badge.__dict__["_condition_list"] = list(badge.conditions.all())
    return found


# -- deciding -----------------------------------------------------------------------------


def figure(condition: BadgeCondition, values: dict[str, Decimal], held: set[int]) -> Decimal:
    if condition.kind == ConditionKind.HOLDS_BADGE:
        return Decimal(1 if condition.required_badge_id in held else 0)
    return values.get(metrics.metric_key(condition), metrics.ZERO)


def is_met(condition: BadgeCondition, value: Decimal) -> bool:
    if condition.kind == ConditionKind.HOLDS_BADGE:
        return value >= 1
    return value >= condition.threshold


def conditions_hold(badge: Badge, values: dict[str, Decimal], held: set[int]) -> bool:
    """``is_met(c, figure(c, …))`` for each condition, from the badge's ``tests``."""
    tests = _tests(badge)
    if not tests:  # a badge without conditions is only ever given by hand
        return False
    zero = metrics.ZERO
    met = (
        required in held if key is None else values.get(key, zero) >= threshold
        for key, required, threshold in tests
    )
    return all(met) if badge.match == BadgeMatch.ALL else any(met)


def _tests(badge: Badge) -> list[tuple[str | None, int | None, Decimal]]:
    """Each condition as (its metric key, None for a required badge; the badge it
    requires; its threshold), kept on the memoised badge like ``conditions_of``: a
    recompute decides for every contact, and looking each one up again was a tenth of it."""
    found = badge.__dict__.get("_tests")
    if found is None:
        found = badge.__dict__["_tests"] = [
            (None, c.required_badge_id, c.threshold)
            if c.kind == ConditionKind.HOLDS_BADGE
            else (metrics.metric_key(c), None, c.threshold)
            for c in conditions_of(badge)
        ]
    return found


def decided_by(badge: Badge, values: dict[str, Decimal], held: set[int]) -> dict[str, str]:
    """The figures that decided, as text, for the holding, the audit log and the webhook."""
    return {
        metrics.metric_key(c): texts.number(figure(c, values, held)) for c in conditions_of(badge)
    }


def decide(
    badges: list[Badge], values: dict[str, Decimal], held: set[int]
) -> list[tuple[Badge, bool, dict]]:
    """What evaluation changes: (badge, awarded?, figures) for each badge to award or take
    back, in order. Kept badges are never taken back; a badge without conditions is left
    as it is (manual)."""
    held = set(held)
    changes = []
    for badge in badges:
        holds = conditions_hold(badge, values, held)
        if holds and badge.pk not in held:
            changes.append((badge, True, decided_by(badge, values, held)))
            held.add(badge.pk)
        elif not holds and badge.pk in held and not badge.keep_once_earned:
            if conditions_of(badge):
                changes.append((badge, False, decided_by(badge, values, held)))
                held.discard(badge.pk)
    return changes


def held_badge_ids(contact_id: int) -> set[int]:
    return set(
        BadgeHolding.objects.filter(contact_id=contact_id, lost_at__isnull=True).values_list(
            "badge_id", flat=True
        )
    )


# -- evaluation ---------------------------------------------------------------------------


@contextmanager
def evaluating(*contact_ids: int) -> Iterator[None]:
    token = EVALUATING.set(EVALUATING.get() | set(contact_ids))
    try:
        yield
    finally:
        EVALUATING.reset(token)


def evaluate(contact: Contact, *, actor: str = "system") -> list[Change]:
    """Evaluate every active badge of the contact's program for ``contact``; award the
    badges whose conditions now hold, take back the re-evaluated ones that no longer do.
    Idempotent; serialised per contact (row lock). Runs in the Celery task, never inside
    checkout or a webhook request."""
    badges = definitions(contact.program_id)
    return evaluate_with(contact, badges, actor=actor) if badges else []


def evaluate_with(
    contact: Contact, badges: list[Badge], *, actor: str = "system", now: datetime | None = None
) -> list[Change]:
    """Decide without a lock first: most events change no badge, and then nothing is
    written (a row lock is a write, and its commit waits for the disk). Only when something
    changes is the contact locked, everything read again and decided for real."""
    now = now or timezone.now()
    if contact.is_erased or not _decisions(contact.pk, badges, now):
        return []
    with transaction.atomic():
        locked = contact_for_update(contact.pk)
        if locked.is_erased:
            return []
        decisions = _decisions(locked.pk, badges, now)
        with evaluating(locked.pk):
            return [_apply(badge, locked, awarded, v, actor) for badge, awarded, v in decisions]


def _decisions(contact_id: int, badges: list[Badge], now: datetime) -> list:
    """What would change, read in one statement: the figures and the badges held."""
    conditions = all_conditions(badges)
    required = [c.required_badge_id for c in conditions if c.required_badge_id]
    ids = sorted({badge.pk for badge in badges} | set(required))
    values = metrics.for_contact(contact_id, conditions, now, held_of=ids)
    held = {pk for pk in ids if values.get(metrics.held_key(pk))}
    return decide(badges, values, held)


def _apply(badge: Badge, contact: Contact, awarded: bool, values: dict, actor: str) -> Change:
    if awarded:
        holding, _created = award(badge, contact, actor=actor, values=values)
    else:
        holding = revoke(badge, contact, actor=actor, values=values)
    return Change(badge=badge, holding=holding, awarded=awarded, values=values)


# -- award and take back ------------------------------------------------------------------


def _check(badge: Badge, contact: Contact, actor: str, reason: str) -> None:
    if badge.program_id != contact.program_id:
        raise InvalidInput(_("This badge belongs to another program."), field="badge")
    if actor != "system" and not reason.strip():
        raise InvalidInput(_("Say why the badge is given or taken back."), field="reason")


def _live(badge: Badge, contact: Contact) -> BadgeHolding | None:
    return BadgeHolding.objects.filter(badge=badge, contact=contact, lost_at__isnull=True).first()


def award(badge: Badge, contact: Contact, *, actor: str, reason: str = "", values=None):
    """Give ``badge`` to ``contact`` (manual award needs a reason). Idempotent: returns
    (holding, created). Audits ``badge.awarded``, sends ``signals.badge_awarded`` and queues
    the ``badge_awarded`` message after commit."""
    _check(badge, contact, actor, reason)
    values = dict(values or {})
    with transaction.atomic():
        locked = contact_for_update(contact.pk)
        if locked.is_erased:
            raise InvalidInput(_("This contact was erased."), field="contact")
        live = _live(badge, locked)
        if live is not None:
            return live, False
        holding = new_holding(badge, locked, actor, reason, values)
        holding.save(force_insert=True)
        _audit(holding, "badge.awarded", actor, reason, values)
        signals.badge_awarded.send(Program, holding=holding, values=values)
        queue_award_message(holding)
    return holding, True


def revoke(badge: Badge, contact: Contact, *, actor: str, reason: str = "", values=None):
    """Take ``badge`` back from ``contact``. Idempotent: returns the holding closed, or None
    when the contact did not hold it. Audits ``badge.lost`` and sends ``signals.badge_lost``."""
    _check(badge, contact, actor, reason)
    values = dict(values or {})
    with transaction.atomic():
        locked = contact_for_update(contact.pk)
        holding = _live(badge, locked)
        if holding is None:
            return None
        holding.lost_at = timezone.now()
        holding.lost_by = actor
        holding.save(update_fields=["lost_at", "lost_by"])
        _audit(holding, "badge.lost", actor, reason, values)
        signals.badge_lost.send(Program, holding=holding, values=values)
    return holding


def new_holding(
    badge: Badge, contact: Contact, actor: str, reason: str, values: dict
) -> BadgeHolding:
    """The live holding ``award`` writes, not saved yet."""
    return BadgeHolding(
        badge=badge, contact=contact, awarded_by=actor, reason=reason, values=values
    )


def _audit(holding: BadgeHolding, action: str, actor: str, reason: str, values: dict) -> None:
    audit.record_many([audit_event(holding, action, actor, reason, values)])


def audit_event(
    holding: BadgeHolding, action: str, actor: str, reason: str, values: dict
) -> AuditEvent:
    """The ``badge.awarded`` / ``badge.lost`` event with the figures that decided, unsaved."""
    badge = holding.badge
    return audit.event(
        badge.program,
        action,
        reason=reason,
        actor=actor,
        contact=holding.contact,
        badge_id=badge.pk,
        badge=badge.name(),
        **values,
    )


def queue_award_message(holding: BadgeHolding) -> None:
    """The scenario's ``badge_earned`` trigger. Only the holding: the variables (next
    badge, balance…) are read when the message is sent, so awarding stays cheap."""
    queue_award_messages([holding])


def queue_award_messages(holdings: list[BadgeHolding]) -> None:
    """``queue_award_message`` for many new holdings: one audience check, one insert."""
    from ..models.choices import Recipient, Trigger
    from .scenarios import Firing, fire_many

    if not holdings:
        return
    fire_many(
        holdings[0].badge.program,
        Trigger.BADGE_EARNED,
        [Firing(h, {Recipient.CONTACT: h.contact}) for h in holdings],
    )


def message_context(holding: BadgeHolding) -> dict[str, Any]:
    """The variables of messages about a badge, as plain values: ``badge.name``,
    ``badge.image_url``, ``next_badge.name``, ``next_badge.missing``, ``points.balance``."""
    from ..messaging import language_for

    contact, badge = holding.contact, holding.badge
    language = language_for(contact)
    with translation.override(language):
        summary = contact_badges(contact, language)
        upcoming = summary.next
        return {
            "badge": {
                "name": badge.name(language),
                "description": badge.description(language),
                "image_url": image_url(badge),
            },
            "next_badge": None
            if upcoming is None
            else {"name": upcoming.badge.name(language), "missing": upcoming.missing},
            "points": {"balance": summary.balance},
        }


# -- what the screens show ----------------------------------------------------------------


def contact_badges(contact: Contact, language: str = "en") -> ContactBadges:
    """The contact's current badge, earned badges, next badge with progress, balance."""
    badges = sorted(definitions(contact.program_id), key=lambda b: (b.rank, b.pk))
    balance = balance_condition()
    values = metrics.for_contact(contact.pk, [*all_conditions(badges), balance], timezone.now())
    earned = list(
        BadgeHolding.objects.filter(contact=contact, lost_at__isnull=True, badge__is_active=True)
        .select_related("badge__program")
        .order_by("badge__rank", "badge__pk")
    )
    holdings = {h.badge_id: h for h in earned}
    with translation.override(language):
        progress = [_progress(b, values, holdings, contact, language) for b in badges]
    return ContactBadges(
        current=earned[-1].badge if earned else None,
        earned=earned,
        next=next((p for p in progress if not p.held), None),
        all=progress,
        balance=int(values.get(metrics.metric_key(balance), 0)),
    )


def _progress(
    badge: Badge, values: dict, holdings: dict[int, BadgeHolding], contact: Contact, lang: str
) -> BadgeProgress:
    held = set(holdings)
    holding = holdings.get(badge.pk)
    currency = badge.program.currency
    conditions = []
    for condition in conditions_of(badge):
        value = figure(condition, values, held)
        required = condition.required_badge.name(lang) if condition.required_badge else ""
        met = is_met(condition, value)
        conditions.append(
            ConditionProgress(
                kind=str(condition.kind),
                value=value,
                threshold=condition.threshold,
                period_days=condition.period_days,
                met=met,
                label=texts.label(condition, value, currency, required),
                missing="" if met else texts.missing(condition, value, currency, required),
            )
        )
    return BadgeProgress(
        badge=badge,
        held=holding is not None,
        awarded_at=holding.awarded_at if holding else None,
        conditions=conditions,
        match=str(badge.match),
    )


def image_url(badge: Badge) -> str:
    """Absolute URL of the badge thumbnail (PARRAIN_BASE_URL + MEDIA_URL path), "" if none."""
    if not badge.image:
        return ""
    url = badge.image.url
    if url.startswith(("http://", "https://")):
        return url
    return parrain_settings.BASE_URL.rstrip("/") + url


def referrer_rule_for(contact: Contact):
    """The RewardRule of the highest-ranked badge ``contact`` holds that carries one, or
    None (then the program's referrer rule applies). Used when an invitation's referrer
    terms are frozen."""
    if not has_badges(contact.program):
        return None
    holding = (
        BadgeHolding.objects.filter(
            contact=contact,
            lost_at__isnull=True,
            badge__is_active=True,
            badge__reward_rule__isnull=False,
            badge__reward_rule__is_active=True,
        )
        .select_related("badge__reward_rule__program")
        .order_by("-badge__rank", "-badge__pk")
        .first()
    )
    return holding.badge.reward_rule if holding else None


# -- recompute ----------------------------------------------------------------------------


def start_recompute(program: Program, *, reason: str = "") -> Any:
    """Queue a background re-evaluation of every contact of ``program`` (after commit) and
    return its ``BadgeRecompute`` row, whose ``done``/``total`` the admins show as progress.
    Called when a badge's conditions change; a recompute already queued or running for the
    program is reused instead of starting a second one."""
    from .badge_recompute import start

    return start(program, reason=reason)


__all__ = [
    "BadgeProgress",
    "BadgeRecompute",
    "Change",
    "ConditionProgress",
    "ContactBadges",
    "award",
    "contact_badges",
    "evaluate",
    "has_badges",
    "image_url",
    "referrer_rule_for",
    "revoke",
    "start_recompute",
]
