"""Retention (issue 14): contacts with no activity for ``program.retention_months`` months
are erased (``services/erasure.erase_contact``) by the periodic task
``erase_inactive_contacts``; off while the setting is empty. The admins show the dry-run
count (``inactive_contacts(program).count()``) beside the setting.

Activity: the contact's creation, an invitation sent or received, a referral, an order, a
reward, a loyalty line, a consent record, a message sent — the latest of them.
"""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import Contact, Program


def inactive_contacts(program: Program, months: int | None = None) -> QuerySet[Contact]:
    """Contacts not erased whose latest activity is older than ``months`` (the program's
    setting when None; an empty queryset when neither is set)."""
    raise NotImplementedError


def erase_inactive(program: Program, *, actor: str = "retention") -> int:
    """Erase them; returns how many. Audited once per program run."""
    raise NotImplementedError
