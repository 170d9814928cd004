"""Incremental evaluation: an event that can change a contact's badges queues one
``evaluate_badges`` task for that contact, after commit.

One task per contact per transaction however many events it saw (an order is a purchase
line, a conversion and a status change: one evaluation). Never inside the request: the
task runs on a Celery worker once the data it reads is committed.
"""

from __future__ import annotations

from django.db import connection, transaction

from ..models import Program
from .badges import EVALUATING, has_badges


class _Pending:
    """The contacts queued in the current transaction, flushed by one on_commit callback."""

    def __init__(self) -> None:
        self.contact_ids: set[int] = set()
        self.flushed = False

    def flush(self) -> None:
        from ..tasks import evaluate_badges

        self.flushed = True
        ids, self.contact_ids = sorted(self.contact_ids), set()
        for contact_id in ids:
            evaluate_badges.delay(contact_id)


def _pending() -> _Pending | None:
    """This transaction's pending set, if its callback is still registered (a rolled-back
    transaction drops the callback, and with it the set)."""
    pending = getattr(connection, "_parrain_badge_pending", None)
    if pending is None or pending.flushed or not connection.in_atomic_block:
        return None
    registered = any(item[1] == pending.flush for item in connection.run_on_commit)
    return pending if registered else None


def evaluate_later(program: Program, contact_id: int | None) -> None:
    """Queue the evaluation of ``contact_id``'s badges after commit, once per transaction,
    when ``program`` has badges; nothing when the contact is being evaluated right now
    (its own awards need no second pass)."""
    if contact_id is None or contact_id in EVALUATING.get() or not has_badges(program):
        return
    pending = _pending()
    if pending is not None:
        pending.contact_ids.add(contact_id)
        return
    pending = _Pending()
    pending.contact_ids.add(contact_id)
    connection._parrain_badge_pending = pending  # type: ignore[attr-defined]
    transaction.on_commit(pending.flush)
