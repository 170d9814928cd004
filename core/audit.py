"""Write to the append-only audit log: every decision with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .models import AuditEvent, Contact, Order, Program, Referral

# The entries of the current ``collected`` block, written together when it ends.
_COLLECTED: ContextVar[list[AuditEvent] | None] = ContextVar("parrain_audit", default=None)


@contextmanager
def collected() -> Iterator[None]:
    """Inside the block, ``record`` keeps its entries (unsaved) and they are written in one
    statement, in their order, when the block ends without an error: one round trip for a
    unit of work's entries (an attributed order writes two). Use it inside the unit's
    transaction, so that an error discards them with the rest."""
    entries: list[AuditEvent] = []
    token = _COLLECTED.set(entries)
    try:
        yield
    finally:
        _COLLECTED.reset(token)
    if entries:
        record_many(entries)


def record(
    program: Program,
    action: str,
    *,
    reason: str = "",
    message: str = "",
    actor: str = "system",
    referral: Referral | None = None,
    contact: Contact | None = None,
    order: Order | None = None,
    **data: Any,
) -> AuditEvent:
    entry = event(
        program,
        action,
        reason=reason,
        message=message,
        actor=actor,
        referral=referral,
        contact=contact,
        order=order,
        **data,
    )
    pending = _COLLECTED.get()
    if pending is not None:
        pending.append(entry)  # saved when the ``collected`` block ends
    else:
        entry.save(force_insert=True)
    return entry


def record_many(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write many events (built with ``event``) in one statement, in their order."""
    return AuditEvent.objects.bulk_create(events)


def event(
    program: Program,
    action: str,
    *,
    reason: str = "",
    message: str = "",
    actor: str = "system",
    referral: Referral | None = None,
    contact: Contact | None = None,
    order: Order | None = None,
    **data: Any,
) -> AuditEvent:
    """The event ``record`` writes, not saved yet."""
    return AuditEvent(
        program=program,
        action=action,
        reason=reason,
        message=message,
        actor=actor,
        referral=referral,
        contact=contact,
        order=order,
        data={
            k: str(v) if not isinstance(v, (int, bool, type(None), str)) else v
            for k, v in data.items()
        },
    )
