"""Revealing and rotating secrets: the only door, each time with an audit entry.

A secret lives in three columns of its holder (see :mod:`parrain.core.rotation`): the
program's ``identity_secret`` here, a webhook endpoint's ``secret`` in the generic_webhook
plugin. Who may call these is the caller's check (change permission on the holder); the
audit entry says who revealed or rotated which secret, and when.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from .. import audit, locks
from ..models import Program
from ..rotation import grace_ends_at, new_identity_secret

M = TypeVar("M", bound=Model)


def reveal_secret(program: Program, holder: Model, field: str, *, actor: str) -> str:
    """The clear value of ``holder.<field>``, recorded as revealed to ``actor``."""
    name = _name(holder, field)
    audit.record(program, "secret.revealed", actor=actor, secret=name, message=f"{name} revealed")
    return str(getattr(holder, field))


def rotate_secret(program: Program, holder: M, field: str, new_value: str, *, actor: str) -> M:
    """Make ``new_value`` current; the old value stays accepted until the grace ends."""
    name = _name(holder, field)
    with transaction.atomic():
        locked = locks.row_for_update(type(holder), holder.pk)
        now = timezone.now()
        setattr(locked, f"{field}_previous", getattr(locked, field))
        setattr(locked, field, new_value)
        setattr(locked, f"{field}_rotated_at", now)
        locked.save(update_fields=[field, f"{field}_previous", f"{field}_rotated_at"])
        audit.record(
            program,
            "secret.rotated",
            actor=actor,
            secret=name,
            previous_accepted_until=grace_ends_at(now),
            message=f"{name} rotated",
        )
    return locked


def rotate_identity_secret(program: Program, *, actor: str) -> Program:
    return rotate_secret(program, program, "identity_secret", new_identity_secret(), actor=actor)


def _name(holder: Model, field: str) -> str:
    """e.g. ``parrain.program 3 identity_secret`` — which secret, in the audit log."""
    return f"{holder._meta.label_lower} {holder.pk} {field}"
