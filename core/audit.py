"""Write to the append-only audit log: every decision with its reason."""

from __future__ import annotations

from typing import Any

from .models import AuditEvent, Contact, Order, Program, Referral


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
