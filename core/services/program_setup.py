"""Creating and changing programs and their reward rules: one door for every editor.

The three admins' program editor (``core/forms/program.py``, issue 15 §2) and the
management API (``core/api/manage.py``, issue 16 §2) both save through these functions, so
a program is validated the same way wherever it is edited: by the model's own validation
(``full_clean``: field validators and ``Program.clean``), which is where every rule about a
program's fields lives. Each change writes one audit entry naming its actor (a user name
in the admins, ``api:mk_…`` over the API) and the fields that changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from .. import audit
from ..models import Program, RewardRule


def create_program(data: Mapping[str, Any], *, actor: str) -> Program:
    """A new program from ``data`` (model field names); ``ValidationError`` if unfit."""
    program = Program(**data)
    program.full_clean()
    with transaction.atomic():
        program.save()
        audit.record(
            program, "program.created", actor=actor, fields=sorted(data), message=program.name
        )
    return program


def update_program(program: Program, changes: Mapping[str, Any], *, actor: str) -> list[str]:
    """Apply ``changes``; return the names of the fields whose value changed.

    Nothing is saved when nothing changed; a ``ValidationError`` leaves the stored program
    as it was.
    """
    changed = [name for name, value in changes.items() if getattr(program, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(program, name, changes[name])
    program.full_clean()
    with transaction.atomic():
        program.save(update_fields=changed)
        audit.record(program, "program.updated", actor=actor, fields=sorted(changed))
    return changed


def set_program_active(program: Program, active: bool, *, actor: str) -> None:
    """Pause (``False``) or resume a program; a paused program's widgets show nothing."""
    update_program(program, {"is_active": active}, actor=actor)


def delete_program(program: Program, *, actor: str) -> None:
    """Delete a program and everything that belongs to it (its contacts, referrals…).

    Callers ask for confirmation first; the audit entry outlives nothing (it belongs to
    the program), so the actor is written to the log instead.
    """
    import logging

    logging.getLogger("parrain.audit").warning(
        "program %s (%s) deleted by %s", program.pk, program.slug, actor
    )
    program.delete()


def create_rule(program: Program, data: Mapping[str, Any], *, actor: str) -> RewardRule:
    rule = RewardRule(program=program, **data)
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        audit.record(program, "reward_rule.created", actor=actor, rule=rule.pk, fields=sorted(data))
    return rule


def update_rule(rule: RewardRule, changes: Mapping[str, Any], *, actor: str) -> list[str]:
    changed = [name for name, value in changes.items() if getattr(rule, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(rule, name, changes[name])
    rule.full_clean()
    with transaction.atomic():
        rule.save(update_fields=changed)
        audit.record(
            rule.program, "reward_rule.updated", actor=actor, rule=rule.pk, fields=sorted(changed)
        )
    return changed


def delete_rule(rule: RewardRule, *, actor: str) -> None:
    program, pk = rule.program, rule.pk
    with transaction.atomic():
        rule.delete()
        audit.record(program, "reward_rule.deleted", actor=actor, rule=pk)
