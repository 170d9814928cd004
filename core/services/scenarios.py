"""A program's scenario: its steps, and the messages a trigger schedules (helper: engine).

Contract:
- ``fire(program, trigger, *, subject, people: Mapping[Recipient, Contact], context=None,
  at=None) -> int``: one ``ScheduledMessage`` per active step of ``trigger`` (steps cached
  per program, forgotten when a step is saved or deleted) whose recipient is in ``people``
  and meets the step's audience now (a delayed step: the conditions on the contact row;
  the rest when it is due); inserted set-based, a dedupe key already stored skipped
  (``insert``: ``INSERT … SELECT … FROM unnest(…) ON CONFLICT DO NOTHING`` on PostgreSQL,
  ``bulk_create(ignore_conflicts=True)`` elsewhere), so a replayed trigger schedules
  nothing twice; rows due now are sent after commit
  (``engine.send_now``). Must add ≤ 2 ms to the request that fires it (bench/scenarios.py).
  BOOST_STARTED fans out to every referrer of the program (in batches).
- Triggers are fired where the state changes: receivers of the core signals
  (invitation_issued, referral_status_changed, order_recorded, reward_issued,
  badge_awarded, contest_drawn, boost_started) and the places a contact becomes a customer
  (orders, file import, API sync).
- ``send_system(kind, contact, *, subject=None, context=None) -> ScheduledMessage | None``:
  a message no step sends (the address confirmation), through the same queue, at once.
- ``install_default_scenario(program) -> list[ScenarioStep]``: ``DEFAULT_SCENARIO``, on a
  new program (post_save) and for programs that existed before migration 0021 (0022).
- ``create_step(program, data, *, actor) / update_step(step, data, *, actor) /
  delete_step(step, *, actor)``: audited ("scenario.step_created" …); deleting or
  switching off a step drops its waiting messages (MessageRule.STEP_OFF).
- ``step_counts(program) -> dict[int, StepCounts]``: sent / delayed / dropped / failed /
  waiting per step, one grouped query.
- ``history(contact) -> QuerySet[ScheduledMessage]``: newest first, with step.
- ``timeline(program) -> list[TimelineEntry]``: steps grouped by trigger, in order of delay,
  with their counts: what every admin shows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..exceptions import InvalidInput
from ..memo import Memo
from ..messaging.audience import Candidate, unmet
from ..models import Contact, Program, ScenarioStep, ScheduledMessage
from ..models.choices import (
    TRIGGER_ROLES,
    TRIGGER_SUBJECT,
    Audience,
    DelayUnit,
    MessageChannel,
    MessageKind,
    MessageRule,
    MessageStatus,
    Recipient,
    Trigger,
)

logger = logging.getLogger(__name__)

#: Referrers scheduled per statement when a boost starts.
FAN_OUT_BATCH = 1000
#: Rows per ``send_now`` task after commit.
SEND_NOW_BATCH = 500

# Other processes see a changed step after these seconds; the engine checks again at
# sending that the step is still active, so a step switched off never sends.
_steps = Memo[dict[str, tuple[ScenarioStep, ...]]](seconds=5)


@dataclass(frozen=True)
class StepCounts:
    sent: int = 0
    delayed: int = 0  # sent or waiting after at least one pressure delay
    dropped: int = 0
    failed: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class Firing:
    """One occurrence of a trigger, for ``fire_many``."""

    subject: Any
    people: Mapping[str, Contact]
    context: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TimelineStep:
    step: ScenarioStep
    counts: StepCounts


@dataclass(frozen=True)
class TimelineEntry:
    trigger: str
    label: str
    steps: list[TimelineStep] = field(default_factory=list)


# The steps a trigger schedules


def active_steps(program: Program) -> dict[str, tuple[ScenarioStep, ...]]:
    """The program's active steps by trigger (memoised a few seconds per process)."""

    def load() -> dict[str, tuple[ScenarioStep, ...]]:
        by_trigger: dict[str, list[ScenarioStep]] = {}
        for step in ScenarioStep.objects.filter(program_id=program.pk, is_active=True):
            by_trigger.setdefault(step.trigger, []).append(step)
        return {trigger: tuple(steps) for trigger, steps in by_trigger.items()}

    return _steps.get(program.pk, load)


def forget(program_id: int | None = None) -> None:
    _steps.forget(program_id)


def fire(
    program: Program,
    trigger: str,
    *,
    subject: Any,
    people: Mapping[str, Contact],
    context: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Schedule the active steps of ``trigger`` for ``people``; returns how many messages
    the trigger asked for (a replay asks again, the dedupe key stores each once). Raises
    ``ValueError`` for an unknown trigger."""
    return fire_many(program, trigger, [Firing(subject, people, context)], at=at)


def fire_many(
    program: Program, trigger: str, firings: Sequence[Firing], *, at: datetime | None = None
) -> int:
    """``fire`` for many occurrences of one trigger (a badge recompute's awards, the
    contacts an import or an API sync made customers), in one audience check and one
    insert statement per ``FAN_OUT_BATCH`` rows."""
    trigger = known_trigger(trigger)
    steps = active_steps(program).get(trigger, ())
    if not steps or not firings:
        return 0
    at = at or timezone.now()
    if trigger == Trigger.BOOST_STARTED:
        return _fan_out(program, steps, firings, at)
    return _schedule(program, trigger, steps, firings, at)


def known_trigger(trigger: str) -> Trigger:
    try:
        return Trigger(trigger)
    except ValueError:
        raise ValueError(f"unknown scenario trigger {trigger!r}") from None


def _schedule(
    program: Program,
    trigger: Trigger,
    steps: Iterable[ScenarioStep],
    firings: Sequence[Firing],
    at: datetime,
) -> int:
    subject_type = TRIGGER_SUBJECT[trigger]
    rows: dict[str, _NewRow] = {}
    candidates = []
    for firing in firings:
        subject_id = getattr(firing.subject, "pk", None)
        for step in steps:
            contact = firing.people.get(step.recipient)
            if contact is None or not reachable(contact):
                continue
            key = f"s{step.pk}:{contact.pk}:{subject_type}:{subject_id or ''}"
            rows[key] = _NewRow(step, contact.pk, subject_id, firing.context, at + step.delay)
            candidates.append(Candidate(key, contact, _now_checked(step), at))
    refused = unmet(candidates)
    new = {key: row for key, row in rows.items() if key not in refused}
    if not new:
        return 0
    insert(program, subject_type, at, new)
    send_after_commit(program, [key for key, row in new.items() if row.due_at <= at])
    return len(new)


@dataclass(frozen=True)
class _NewRow:
    """What varies from one scheduled message to the next (``insert``)."""

    step: ScenarioStep
    contact_id: int
    subject_id: int | None
    context: Mapping[str, Any] | None
    due_at: datetime


def insert(program: Program, subject_type: str, at: datetime, rows: Mapping[str, _NewRow]) -> None:
    """The new messages (by dedupe key), a key already stored skipped: on PostgreSQL one
    ``INSERT … SELECT … FROM unnest(<an array per varying column>) ON CONFLICT DO NOTHING``
    per ``FAN_OUT_BATCH`` rows, elsewhere ``bulk_create(ignore_conflicts=True)``: the same
    rows (tests/core/test_scenarios.py), without a model object and a dozen prepared
    values per row."""
    if connection.vendor != "postgresql":
        ScheduledMessage.objects.bulk_create(
            [_message(program, subject_type, at, key, row) for key, row in rows.items()],
            ignore_conflicts=True,
            batch_size=FAN_OUT_BATCH,
        )
        return
    context = ScheduledMessage._meta.get_field("context")
    items = list(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), FAN_OUT_BATCH):
            chunk = items[start : start + FAN_OUT_BATCH]
            cursor.execute(
                _INSERT,
                {
                    "program": program.pk,
                    "subject_type": subject_type,
                    "at": at,
                    "status": MessageStatus.PENDING,
                    "steps": [row.step.pk for _key, row in chunk],
                    "contacts": [row.contact_id for _key, row in chunk],
                    "kinds": [row.step.kind for _key, row in chunk],
                    "channels": [row.step.channel for _key, row in chunk],
                    "subjects": [row.subject_id for _key, row in chunk],
                    "contexts": [
                        json.dumps(dict(row.context or {}), cls=context.encoder)
                        for _key, row in chunk
                    ],
                    "keys": [key for key, _row in chunk],
                    "due": [row.due_at for _key, row in chunk],
                },
            )


_INSERT = f"""
INSERT INTO {ScheduledMessage._meta.db_table} (program_id, step_id, contact_id, kind, channel,
    subject_type, subject_id, context, dedupe_key, created_at, due_at, status, delayed_by,
    reason, error, attempts, "to", subject_line, provider_id, sent_at)
SELECT %(program)s, v.step_id, v.contact_id, v.kind, v.channel, %(subject_type)s, v.subject_id,
    v.context::jsonb, v.dedupe_key, %(at)s, v.due_at, %(status)s, '', '', '', 0, '', '', '', NULL
FROM unnest(%(steps)s::bigint[], %(contacts)s::bigint[], %(kinds)s::text[],
    %(channels)s::text[], %(subjects)s::bigint[], %(contexts)s::text[], %(keys)s::text[],
    %(due)s::timestamptz[])
    AS v(step_id, contact_id, kind, channel, subject_id, context, dedupe_key, due_at)
ON CONFLICT DO NOTHING
"""  # nosec B608 # the model's own table name; values are parameters


def _message(
    program: Program, subject_type: str, at: datetime, key: str, row: _NewRow
) -> ScheduledMessage:
    return ScheduledMessage(
        program=program,
        step=row.step,
        contact_id=row.contact_id,
        kind=row.step.kind,
        channel=row.step.channel,
        subject_type=subject_type,
        subject_id=row.subject_id,
        context=dict(row.context or {}),
        dedupe_key=key,
        created_at=at,
        due_at=row.due_at,
    )


#: Conditions read on the contact row itself: free to check when a trigger fires.
ON_CONTACT = frozenset({Audience.OPTED_IN, Audience.IS_CUSTOMER})


def _now_checked(step: ScenarioStep) -> Sequence[str]:
    """The audience conditions checked when the trigger fires: all of them for a step due
    at once; for a delayed step only those on the contact row — the others (what the
    friend did, what the contact holds) can change before it is due and are checked then,
    so the request that fires the trigger pays no query for them."""
    if not step.delay:
        return step.audience
    return [condition for condition in step.audience if condition in ON_CONTACT]


def reachable(contact: Contact) -> bool:
    """Whether anything may be scheduled for ``contact`` at all."""
    return contact.unsubscribed_at is None and contact.erased_at is None


def _fan_out(
    program: Program, steps: Iterable[ScenarioStep], firings: Sequence[Firing], at: datetime
) -> int:
    """A boost is announced to every referrer of the program, a batch per statement."""
    referrers = (
        Contact.objects.filter(
            program=program,
            referrer_code__isnull=False,
            unsubscribed_at__isnull=True,
            erased_at__isnull=True,
        )
        .select_related(None)
        .order_by("pk")
    )
    written, last = 0, 0
    while True:
        batch = list(referrers.filter(pk__gt=last)[:FAN_OUT_BATCH])
        if not batch:
            return written
        last = batch[-1].pk
        written += _schedule(
            program,
            Trigger.BOOST_STARTED,
            steps,
            [
                Firing(f.subject, {Recipient.REFERRER: contact}, f.context)
                for f in firings
                for contact in batch
            ],
            at,
        )


def send_after_commit(program: Program, dedupe_keys: list[str]) -> None:
    """Hand the rows due now to a worker once the trigger's transaction commits; the
    periodic task sends them anyway if the broker is away."""
    if not dedupe_keys:
        return

    def enqueue() -> None:
        from ..tasks import send_scheduled_messages

        for start in range(0, len(dedupe_keys), SEND_NOW_BATCH):
            keys = dedupe_keys[start : start + SEND_NOW_BATCH]
            try:
                send_scheduled_messages.delay(program.pk, keys)
            except Exception:  # broker away: send_due_messages picks them up
                logger.warning("messages of program %s left to the beat", program.pk, exc_info=True)

    transaction.on_commit(enqueue)


def send_system(
    kind: str,
    contact: Contact,
    *,
    subject: Any = None,
    context: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> ScheduledMessage | None:
    """A message no step sends (the address confirmation), through the same queue and
    history, sent at once after commit. None when the contact cannot be written to."""
    kind = MessageKind(kind)
    if not reachable(contact):
        return None
    at = at or timezone.now()
    subject_type = subject._meta.model_name if subject is not None else ""
    subject_id = getattr(subject, "pk", None)
    # Without a subject, each call is its own message (the caller decides how often).
    tail = subject_id if subject_id is not None else f"@{at.timestamp():.6f}"
    row = ScheduledMessage(
        program_id=contact.program_id,
        contact=contact,
        kind=kind,
        channel=MessageChannel.EMAIL,
        subject_type=subject_type,
        subject_id=subject_id,
        context=dict(context or {}),
        dedupe_key=f"{kind}:{contact.pk}:{subject_type}:{tail}",
        created_at=at,
        due_at=at,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        return None
    send_after_commit(contact.program, [row.dedupe_key])
    return row


# The default scenario


def install_default_scenario(program: Program) -> list[ScenarioStep]:
    """``DEFAULT_SCENARIO`` for a program that has no step yet (else its steps as they are)."""
    existing = list(ScenarioStep.objects.filter(program=program))
    if existing:
        return existing
    steps = ScenarioStep.objects.bulk_create(
        [
            ScenarioStep(
                program=program,
                position=position,
                trigger=trigger,
                delay_amount=amount,
                delay_unit=unit,
                channel=DEFAULT_CHANNEL,
                kind=kind,
                recipient=recipient,
                audience=list(audience),
                is_active=active,
            )
            for position, (trigger, amount, unit, kind, recipient, audience, active) in enumerate(
                DEFAULT_SCENARIO
            )
        ]
    )
    forget(program.pk)
    return steps


# Editing the scenario

STEP_FIELDS = (
    "position",
    "name",
    "trigger",
    "delay_amount",
    "delay_unit",
    "channel",
    "kind",
    "recipient",
    "audience",
    "is_active",
)


def create_step(program: Program, data: Mapping[str, Any], *, actor: str) -> ScenarioStep:
    """Add a step (checked: see ``_check``); audited ``scenario.step_created``."""
    step = ScenarioStep(program=program)
    apply_data(step, data)
    with transaction.atomic():
        step.save()
        audit.record(program, "scenario.step_created", actor=actor, **_summary(step))
    forget(program.pk)
    return step


def update_step(step: ScenarioStep, data: Mapping[str, Any], *, actor: str) -> ScenarioStep:
    """Change a step; switched off, its waiting messages are dropped (``step_off``)."""
    was_active = step.is_active
    apply_data(step, data)
    with transaction.atomic():
        step.save()
        dropped = 0 if step.is_active or not was_active else _drop_waiting(step)
        audit.record(
            step.program, "scenario.step_updated", actor=actor, dropped=dropped, **_summary(step)
        )
    forget(step.program_id)
    return step


def delete_step(step: ScenarioStep, *, actor: str) -> None:
    """Delete a step and drop its waiting messages; the sent ones stay in the history."""
    program = step.program
    with transaction.atomic():
        dropped = _drop_waiting(step)
        audit.record(
            program, "scenario.step_deleted", actor=actor, dropped=dropped, **_summary(step)
        )
        step.delete()
    forget(program.pk)


def _drop_waiting(step: ScenarioStep) -> int:
    return ScheduledMessage.objects.filter(step=step, status=MessageStatus.PENDING).update(
        status=MessageStatus.DROPPED, reason=MessageRule.STEP_OFF
    )


def _summary(step: ScenarioStep) -> dict[str, Any]:
    return {
        "step": step.pk,
        "trigger": step.trigger,
        "kind": step.kind,
        "channel": step.channel,
        "recipient": step.recipient,
        "delay": f"{step.delay_amount} {step.delay_unit}",
        "audience": ",".join(step.audience),
        "active": step.is_active,
    }


def apply_data(step: ScenarioStep, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(STEP_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), field=sorted(unknown)[0])
    for name in STEP_FIELDS:
        if name in data:
            setattr(step, name, data[name])
    _check(step)


def _check(step: ScenarioStep) -> None:
    """Refuse what the engine could not send, naming the field."""
    choices = {
        "trigger": Trigger,
        "kind": MessageKind,
        "channel": MessageChannel,
        "recipient": Recipient,
        "delay_unit": DelayUnit,
    }
    for name, enum in choices.items():
        if getattr(step, name) not in enum.values:
            raise InvalidInput(
                _("Unknown value %(value)r.") % {"value": getattr(step, name)}, field=name
            )
    if step.kind == MessageKind.CONFIRMATION:
        raise InvalidInput(_("The address confirmation is not a scenario message."), field="kind")
    if step.recipient not in TRIGGER_ROLES[Trigger(step.trigger)]:
        raise InvalidInput(
            _("This trigger has no such recipient: choose among %(roles)s.")
            % {"roles": ", ".join(str(Recipient(r).label) for r in TRIGGER_ROLES[step.trigger])},
            field="recipient",
        )
    audience = step.audience
    if not isinstance(audience, list) or any(a not in Audience.values for a in audience):
        raise InvalidInput(_("Unknown audience condition."), field="audience")
    step.audience = list(dict.fromkeys(audience))
    if not isinstance(step.delay_amount, int) or not 0 <= step.delay_amount <= 365 * 24 * 60:
        raise InvalidInput(_("Give a delay between 0 and one year."), field="delay_amount")
    if not isinstance(step.position, int) or not 0 <= step.position <= 32767:
        raise InvalidInput(_("Give a position between 0 and 32767."), field="position")
    step.name = str(step.name or "")[:120]


# What the admins show


def step_counts(program: Program) -> dict[int, StepCounts]:
    """Sent / delayed / dropped / failed / waiting per step, in one grouped query."""
    rows = (
        ScheduledMessage.objects.filter(program=program, step__isnull=False)
        .values("step_id")
        .annotate(
            sent=Count("pk", filter=Q(status=MessageStatus.SENT)),
            dropped=Count("pk", filter=Q(status=MessageStatus.DROPPED)),
            failed=Count("pk", filter=Q(status=MessageStatus.FAILED)),
            waiting=Count("pk", filter=Q(status=MessageStatus.PENDING)),
            delayed=Count(
                "pk",
                filter=~Q(delayed_by="")
                & Q(status__in=[MessageStatus.SENT, MessageStatus.PENDING]),
            ),
        )
        .order_by()
    )
    return {
        row.pop("step_id"): StepCounts(**row)  # type: ignore[misc]
        for row in rows
    }


def history(contact: Contact) -> QuerySet[ScheduledMessage]:
    """The contact's messages, newest first, each with its step."""
    return contact.messages.select_related("step").order_by("-due_at", "-pk")


def timeline(program: Program) -> list[TimelineEntry]:
    """The scenario as every admin shows it: by trigger, each trigger's steps by delay."""
    counts = step_counts(program)
    steps = sorted(
        ScenarioStep.objects.filter(program=program),
        key=lambda s: (s.delay, s.position, s.pk),
    )
    entries = []
    for trigger in Trigger:
        mine = [
            TimelineStep(s, counts.get(s.pk, StepCounts())) for s in steps if s.trigger == trigger
        ]
        if mine:
            entries.append(TimelineEntry(trigger=trigger, label=str(trigger.label), steps=mine))
    return entries


# (trigger, delay amount, unit, kind, recipient, audience, active)
DEFAULT_SCENARIO: list[tuple[str, int, str, str, str, list[str], bool]] = [
    (
        Trigger.INVITATION_SENT,
        0,
        DelayUnit.MINUTES,
        MessageKind.INVITATION,
        Recipient.FRIEND,
        [],
        True,
    ),
    (
        Trigger.INVITATION_SENT,
        3,
        DelayUnit.DAYS,
        MessageKind.FRIEND_REMINDER,
        Recipient.FRIEND,
        [Audience.NOT_CLAIMED, Audience.NOT_CONVERTED],
        True,
    ),
    (Trigger.FRIEND_CLAIMED, 0, DelayUnit.MINUTES, MessageKind.WELCOME, Recipient.FRIEND, [], True),
    (
        Trigger.FRIEND_CLAIMED,
        5,
        DelayUnit.DAYS,
        MessageKind.FRIEND_REMINDER,
        Recipient.FRIEND,
        [Audience.NOT_CONVERTED],
        True,
    ),
    (Trigger.REWARD_ISSUED, 0, DelayUnit.MINUTES, MessageKind.REWARD, Recipient.CONTACT, [], True),
    (
        Trigger.ORDER_PLACED,
        7,
        DelayUnit.DAYS,
        MessageKind.INCITATION,
        Recipient.CONTACT,
        [Audience.NOT_REFERRER],
        True,
    ),
    (
        Trigger.ORDER_PLACED,
        10,
        DelayUnit.DAYS,
        MessageKind.REVIEW_REQUEST,
        Recipient.CONTACT,
        [],
        False,
    ),
    (
        Trigger.BADGE_EARNED,
        0,
        DelayUnit.MINUTES,
        MessageKind.BADGE_AWARDED,
        Recipient.CONTACT,
        [],
        True,
    ),
    (
        Trigger.CONTEST_DRAWN,
        0,
        DelayUnit.MINUTES,
        MessageKind.CONTEST_WON,
        Recipient.CONTACT,
        [],
        True,
    ),
    (
        Trigger.BOOST_STARTED,
        0,
        DelayUnit.MINUTES,
        MessageKind.BOOST_ANNOUNCEMENT,
        Recipient.REFERRER,
        [Audience.OPTED_IN],
        True,
    ),
]
DEFAULT_CHANNEL = MessageChannel.EMAIL
