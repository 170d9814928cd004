"""The queue of scheduled messages (helper: engine).

Contract:
- ``send_due(*, limit: int = 500, now=None) -> Counts``: one batch: due pending rows picked
  ``FOR UPDATE SKIP LOCKED`` (ordered by due_at), each checked again (step active, not
  unsubscribed/erased, consent for the channel, audience conditions, subject still there),
  then the pressure rules for solicitations (quiet hours in the program's time zone, the
  minimum gap, the 7-day cap: the row's due_at moves and ``delayed_by`` says which rule),
  then composed (``templates.compose``) and sent (email: one Django connection per batch;
  SMS: ``sms.get_backend()``), status and audit written in the same transaction.
- A temporary transport error leaves the row pending with ``attempts`` + 1 and due_at
  pushed back (exponential), failed after ``MAX_ATTEMPTS``; a render error fails at once.
- ``send_now(ids: list[int])``: the same for rows due now (transactional steps), called
  after commit by ``scenarios.fire`` so an invitation leaves at once, not at the next beat.

Decisions:
- The rows stay locked while the batch is sent, and their new status is written in the
  same transaction: a worker that dies mid-batch leaves them waiting (sent again by the
  next one, at least once), two workers never take the same row (exactly once otherwise).
- The pressure cap delays: the next solicitation waits until the oldest one counted leaves
  the rolling 7 days. A solicitation the rules would hold more than ``STALE_AFTER`` past
  its first due time is dropped instead, with the rule as its reason (a reminder a week
  late is no longer a reminder). Quiet hours and the minimum gap only delay.
- Transactional kinds (TRANSACTIONAL_KINDS) are never held, but count for the minimum gap
  of the solicitations that follow them.
- Speed (bench/scenarios.py): the batch's rows come in one locked SELECT with their
  contact, and its programs and steps in one query each (one object per program and
  step, not one per row); the pressure rules read
  the batch's contacts' recent sends in one query; what stays the same for the batch (the
  offer in force now) is read once (``memo.batch_scope``) and a message computes only the
  variables its template reads; emails leave from one thread on one SMTP connection per
  batch while this thread composes the next ones and makes their MIME bytes
  (``mime.Email.prepare``; ``IN_FLIGHT`` ahead), so that thread only sends; the statuses are
  written in one statement, and audit lines only for what did not leave.
"""

from __future__ import annotations

import logging
import re
import smtplib
import sys
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, transaction
from django.utils import timezone

from .. import audit, signals
from ..conf import parrain_settings
from ..memo import batch_scope
from ..models import Program, ScheduledMessage
from ..models.choices import TRANSACTIONAL_KINDS, MessageChannel, MessageRule, MessageStatus
from .audience import Candidate, unmet

logger = logging.getLogger(__name__)

BATCH = 500
#: Emails composed ahead of the one the server is answering.
IN_FLIGHT = 8
MAX_ATTEMPTS = 5
#: How often the GIL changes hands while a batch's sending thread runs: at Python's 5 ms,
#: each SMTP reply would wait up to 5 ms for this thread to finish composing (several
#: replies a message), and the sending thread would be the bottleneck.
SWITCH_INTERVAL = 0.0005
#: First retry after a temporary transport error; doubled at each attempt.
RETRY_AFTER = timedelta(minutes=1)
WEEK = timedelta(days=7)
#: A solicitation the pressure rules would hold longer than this after it was first due
#: is dropped (with the rule) rather than sent out of its moment.
STALE_AFTER = timedelta(days=7)

# Fields a batch writes back, in one statement.
_WRITTEN = [
    "status",
    "due_at",
    "delayed_by",
    "reason",
    "error",
    "attempts",
    "sent_at",
    "to",
    "subject_line",
    "provider_id",
]


@dataclass
class Counts:
    sent: int = 0
    delayed: int = 0
    dropped: int = 0
    failed: int = 0
    retried: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.delayed + self.dropped + self.failed + self.retried

    def add(self, other: Counts) -> None:
        """Sum another batch's counts into these (a loop over batches)."""
        for name in ("sent", "delayed", "dropped", "failed", "retried"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def send_due(*, limit: int = BATCH, now: datetime | None = None) -> Counts:
    """One batch of the due waiting messages, oldest first (see the module docstring)."""
    now = now or timezone.now()
    due = ScheduledMessage.objects.filter(status=MessageStatus.PENDING, due_at__lte=now)
    return _run(due.order_by("due_at", "pk"), limit, now)


def send_now(ids: Sequence[int], *, now: datetime | None = None) -> Counts:
    """The given rows, if still waiting and due: a trigger's messages due now, sent after
    its commit (the pressure rules still hold a solicitation)."""
    now = now or timezone.now()
    due = ScheduledMessage.objects.filter(
        pk__in=list(ids), status=MessageStatus.PENDING, due_at__lte=now
    )
    return _run(due.order_by("pk"), len(ids), now)


def _run(queryset: Any, limit: int, now: datetime) -> Counts:
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True, of=("self",))
        batch = list(queryset.select_related("contact")[:limit])
        if not batch:
            return Counts()
        _share_related(batch)
        outcome = Batch(batch, now).run()
        outcome.save()
    outcome.announce()
    return outcome.counts


def _share_related(batch: list[ScheduledMessage]) -> None:
    """One Program and one ScenarioStep object for all the batch's rows that point at it,
    read once for the batch (a join would make one object of each per row, and bring
    the program's columns once per row), so that what a program or step object remembers
    is computed once a batch; each contact's program is taken from its message rather
    than fetched again, one row a time."""
    from ..models import ScenarioStep

    programs = Program.objects.in_bulk({m.program_id for m in batch})
    step_ids = {m.step_id for m in batch if m.step_id is not None}
    steps = ScenarioStep.objects.in_bulk(step_ids) if step_ids else {}
    for message in batch:
        program = programs[message.program_id]
        message.program = program
        if message.step_id is not None:
            message.step = steps.get(message.step_id)
        if message.contact.program_id == program.pk:
            message.contact.program = program


@dataclass
class Batch:
    """The decisions about one batch of locked rows, written back together."""

    messages: list[ScheduledMessage]
    now: datetime
    counts: Counts = field(default_factory=Counts)
    changed: list[tuple[ScheduledMessage, str]] = field(default_factory=list)
    _recent: dict[int, list[tuple[datetime, bool]]] = field(default_factory=dict)
    _email: Any = None
    _sms: Any = None
    # Emails handed to the sending thread, oldest first, with what the thread will say.
    _in_flight: deque[tuple[ScheduledMessage, Future[None]]] = field(default_factory=deque)
    _sender: ThreadPoolExecutor | None = None
    # Emails made ready (MIME bytes) in this thread, by message id, for ``_transmit``.
    _prepared: dict[int, Any] = field(default_factory=dict)

    def run(self) -> Batch:
        ready = [m for m in self.messages if not self._refused(m)]
        ready = self._audience(ready)
        self._recent = self._recent_sends([m for m in ready if not m.is_transactional])
        try:
            with batch_scope():  # the offer in force now, … read once for the batch
                for message in ready:
                    if message.is_transactional or not self._held(message):
                        self._deliver(message)
            self._settle(0)
        finally:
            if self._sender is not None:
                self._sender.submit(self._close_email)
                self._sender.shutdown(wait=True)
                _switching.stop()
        return self

    # Checks again at sending

    def _refused(self, message: ScheduledMessage) -> bool:
        rule = refusal(message)
        if rule:
            self._drop(message, rule)
        return bool(rule)

    def _audience(self, messages: list[ScheduledMessage]) -> list[ScheduledMessage]:
        candidates = [
            Candidate(m.pk, m.contact, m.step.audience, m.created_at)
            for m in messages
            if m.step is not None and m.step.audience
        ]
        refused = unmet(candidates)
        for message in messages:
            if message.pk in refused:
                self._drop(message, refused[message.pk])
        return [m for m in messages if m.pk not in refused]

    # Pressure rules (solicitations only)

    def _recent_sends(self, messages: list[ScheduledMessage]) -> dict[int, list[Any]]:
        """Each contact's sends of the last 7 days, one query for the batch."""
        recent: dict[int, list[tuple[datetime, bool]]] = {}
        ids = {m.contact_id for m in messages}
        if not ids:
            return recent
        rows = ScheduledMessage.objects.filter(
            contact_id__in=ids, status=MessageStatus.SENT, sent_at__gt=self.now - WEEK
        ).values_list("contact_id", "sent_at", "kind")
        for contact_id, sent_at, kind in rows:
            recent.setdefault(contact_id, []).append((sent_at, kind not in TRANSACTIONAL_KINDS))
        return recent

    def _held(self, message: ScheduledMessage) -> bool:
        """Move a solicitation later when a pressure rule says so; True if it waits."""
        when, rule = pressure(message.program, self._recent.get(message.contact_id, []), self.now)
        if rule is None:
            return False
        first_due = message.created_at + (message.step.delay if message.step else timedelta())
        if when - first_due > STALE_AFTER:
            self._drop(message, rule)
            return True
        message.due_at, message.delayed_by = when, rule
        self.counts.delayed += 1
        return True

    # Composing and sending

    def _deliver(self, message: ScheduledMessage) -> None:
        from . import templates
        from .render import RenderError

        try:
            composed = templates.compose(message)
        except RenderError as exc:
            self._fail(message, MessageRule.RENDER_ERROR, str(exc))
            return
        except Exception as exc:  # a bug must not hold the whole queue back
            logger.exception("message %s could not be composed", message.pk)
            self._fail(message, MessageRule.RENDER_ERROR, describe(exc))
            return
        if composed is None:
            self._drop(message, MessageRule.SUBJECT_GONE)
            return
        message.to = composed.to[:254]
        message.subject_line = composed.subject[:200]
        # Counted at once for the pressure rules of the batch's next messages to the same
        # contact (a send that fails later only made one of them wait).
        self._recent.setdefault(message.contact_id, []).append(
            (self.now, not message.is_transactional)
        )
        if message.channel == MessageChannel.EMAIL:
            self._hand_over(message, composed)
            return
        try:
            provider_id = self._transmit(message, composed)
        except Exception as exc:  # noqa: BLE001 (sorted by transport_error)
            self._transport_error(message, exc)
            return
        self._sent(message, provider_id)

    def _sent(self, message: ScheduledMessage, provider_id: str) -> None:
        message.status, message.sent_at, message.error = MessageStatus.SENT, self.now, ""
        message.provider_id = (provider_id or "")[:120]
        message.attempts += 1
        self.changed.append((message, MessageStatus.PENDING))
        self.counts.sent += 1

    # Emails leave from one thread on one connection, while this one composes the next
    # (the time spent waiting for the server's replies is then not lost). Only that thread
    # touches the connection; the database only this one.

    def _hand_over(self, message: ScheduledMessage, composed: Any) -> None:
        from .email import email_message

        email = email_message(composed, sender=sender())
        if hasattr(email, "prepare"):
            email.prepare()  # the MIME bytes made here, while the thread waits on the server
        self._prepared[message.pk] = email
        if self._sender is None:
            _switching.start()
            self._sender = ThreadPoolExecutor(1, thread_name_prefix="parrain-email")
        sending = self._sender.submit(self._transmit, message, composed)
        self._in_flight.append((message, sending))
        self._settle(IN_FLIGHT)

    def _settle(self, keep: int) -> None:
        """The outcome of the emails handed over, until ``keep`` are left in flight."""
        while len(self._in_flight) > keep:
            message, sending = self._in_flight.popleft()
            try:
                provider_id = sending.result()
            except Exception as exc:  # noqa: BLE001 (sorted by transport_error)
                self._transport_error(message, exc)
            else:
                self._sent(message, provider_id)

    def _transmit(self, message: ScheduledMessage, composed: Any) -> str:
        """Send now (emails: in the sending thread); the provider's id, if any."""
        if message.channel == MessageChannel.SMS:
            if self._sms is None:
                from .sms import get_backend

                self._sms = get_backend()
            return self._sms.send(composed.to, composed.text) or ""
        from .email import email_message

        if self._email is None:
            # Opened here, so that the backend keeps one session for the whole batch
            # (a backend opened by ``send`` itself closes it after each message).
            self._email = get_connection()
            self._email.open()
        email = self._prepared.pop(message.pk, None) or email_message(composed, sender=sender())
        email.connection = self._email
        try:
            if type(self._email) is SmtpBackend and hasattr(email, "raw"):
                _send_raw(self._email, email)
            else:
                email.send()
        except Exception:
            self._close_email()  # a broken session: the next message opens a new one
            raise
        return ""

    def _close_email(self) -> None:
        if self._email is not None:
            self._email.close()
            self._email = None

    def _transport_error(self, message: ScheduledMessage, exc: Exception) -> None:
        if not temporary(exc):
            self._fail(message, MessageRule.TRANSPORT_ERROR, describe(exc))
            return
        message.attempts += 1
        if message.attempts >= MAX_ATTEMPTS:
            self._fail(message, MessageRule.TRANSPORT_ERROR, describe(exc))
            return
        message.error = describe(exc)
        message.due_at = self.now + RETRY_AFTER * 2 ** (message.attempts - 1)
        self.counts.retried += 1
        logger.warning("message %s: %s (retry %s)", message.pk, exc, message.attempts)

    # Outcomes

    def _drop(self, message: ScheduledMessage, reason: str) -> None:
        message.status, message.reason = MessageStatus.DROPPED, reason
        self.changed.append((message, MessageStatus.PENDING))
        self.counts.dropped += 1

    def _fail(self, message: ScheduledMessage, reason: str, error: str) -> None:
        message.status, message.reason, message.error = MessageStatus.FAILED, reason, error
        self.changed.append((message, MessageStatus.PENDING))
        self.counts.failed += 1

    def save(self) -> None:
        """Every row of the batch in one statement, and the audit lines of the ones that
        did not leave."""
        write_back(self.messages)
        audit.record_many(
            [
                audit.event(
                    message.program,
                    f"message.{message.status}",
                    reason=message.reason,
                    contact=message.contact,
                    message_id=message.pk,
                    kind=message.kind,
                    channel=message.channel,
                    step=message.step_id,
                    error=message.error[:500],
                )
                for message, _old in self.changed
                if message.status != MessageStatus.SENT
            ]
        )

    def announce(self) -> None:
        for message, old in self.changed:
            signals.message_status_changed.send(Program, message=message, old_status=old)


def _send_raw(backend: SmtpBackend, email: Any) -> None:
    """What Django's SMTP backend does for one message on its open session (its
    ``_send``), with the bytes ``mime.Email.prepare`` made ahead and the addresses checked
    without the parser when they are plain (``mime.smtp_address``): this thread only
    sends."""
    from .mime import smtp_address

    if backend.connection is None:
        backend.open()
    encoding = email.encoding or settings.DEFAULT_CHARSET
    recipients = [smtp_address(address, encoding) for address in email.recipients()]
    if not recipients:
        return
    backend.connection.sendmail(smtp_address(email.from_email, encoding), recipients, email.raw())


class _Switching:
    """``sys.setswitchinterval(SWITCH_INTERVAL)`` while at least one batch of this process
    has its sending thread, Python's own interval back after the last one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches = 0
        self._saved = sys.getswitchinterval()

    def start(self) -> None:
        with self._lock:
            if self._batches == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, SWITCH_INTERVAL))
            self._batches += 1

    def stop(self) -> None:
        with self._lock:
            self._batches -= 1
            if self._batches == 0:
                sys.setswitchinterval(self._saved)


_switching = _Switching()


def write_back(messages: list[ScheduledMessage]) -> None:
    """The batch's rows as decided, in one statement: on PostgreSQL an ``UPDATE … FROM
    unnest(<one array per column>)`` (``bulk_update`` writes a ``CASE`` per column and row,
    which PostgreSQL takes longer to plan than to run), elsewhere ``bulk_update``."""
    if connection.vendor != "postgresql":
        ScheduledMessage.objects.bulk_update(messages, _WRITTEN)
        return
    fields = [ScheduledMessage._meta.get_field(name) for name in _WRITTEN]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    types = ["bigint"] + [re.sub(r"\(\d+\)", "", f.db_type(connection)) for f in fields]
    values = [[m.pk for m in messages]] + [
        [f.get_db_prep_save(getattr(m, f.attname), connection) for m in messages] for f in fields
    ]
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    table = quote(ScheduledMessage._meta.db_table)
    sql = (
        f"UPDATE {table} AS m SET {assignments} FROM unnest({arrays}) AS v(id, "  # nosec B608 # model's table and column names; values are parameters
        f"{', '.join(columns)}) WHERE m.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def refusal(message: ScheduledMessage) -> str:
    """Why ``message`` may not leave at all now (a ``MessageRule``), or ""."""
    contact, step = message.contact, message.step
    if step is not None and not step.is_active:
        return MessageRule.STEP_OFF
    if contact.erased_at is not None:
        return MessageRule.ERASED
    if contact.unsubscribed_at is not None:
        return MessageRule.UNSUBSCRIBED
    if message.channel == MessageChannel.SMS:
        if contact.sms_unsubscribed_at is not None:
            return MessageRule.UNSUBSCRIBED
        if contact.sms_consent is not True:
            return MessageRule.NO_CONSENT
        return "" if contact.phone else MessageRule.NO_ADDRESS
    return "" if contact.email else MessageRule.NO_ADDRESS


def pressure(
    program: Program, recent: Iterable[tuple[datetime, bool]], now: datetime
) -> tuple[datetime, str | None]:
    """When a solicitation may leave given the contact's sends of the last 7 days
    (``(sent_at, was_a_solicitation)``), and the rule that decided (None: now).

    Minimum gap after any previous message; at most ``messages_per_week`` solicitations
    over any 7 days (the next waits until the oldest leaves the window); never in the quiet
    hours of the program's time zone (moved to their end)."""
    when, rule = now, None
    recent = sorted(recent)
    if recent and program.min_gap_hours:
        free = recent[-1][0] + timedelta(hours=program.min_gap_hours)
        if free > when:
            when, rule = free, MessageRule.MIN_GAP
    solicitations = [sent_at for sent_at, counted in recent if counted]
    cap = program.messages_per_week
    if cap and len(solicitations) >= cap:
        free = solicitations[-cap] + WEEK
        if free > when:
            when, rule = free, MessageRule.PRESSURE_CAP
    quiet_end = end_of_quiet_hours(program, when)
    if quiet_end is not None:
        when, rule = quiet_end, MessageRule.QUIET_HOURS
    return when, rule


def end_of_quiet_hours(program: Program, at: datetime) -> datetime | None:
    """The end of the quiet hours ``at`` falls in (program's time zone), or None."""
    start, end = program.quiet_hours_start, program.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    tz = program.tz()
    local = at.astimezone(tz)
    t = local.time()
    if start < end:  # e.g. 00:00-07:00
        quiet, next_day = start <= t < end, False
    else:  # e.g. 21:00-08:00, across midnight
        quiet, next_day = t >= start or t < end, t >= start
    if not quiet:
        return None
    day = local.date() + timedelta(days=1 if next_day else 0)
    return datetime.combine(day, end, tzinfo=tz)


def temporary(exc: Exception) -> bool:
    """Whether a retry may fix a transport error."""
    from .sms import SmsError

    if isinstance(exc, SmsError):
        return exc.temporary
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, (OSError, smtplib.SMTPException))


def describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def sender() -> str:
    return parrain_settings.DEFAULT_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL
