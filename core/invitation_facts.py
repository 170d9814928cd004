"""The per-invitation facts that make the dashboard's distinct counts plain counts.

``Invitation.prev_referrer_at`` / ``prev_referee_at`` hold when the same person's previous
invitation in the program was issued (in ``(issued_at, id)`` order; ``None`` for their first).
Within any range ``[since, until)`` exactly one invitation per person has no previous one
inside the range, so "distinct referrers (or referees) invited in the range" is
``count(*) FILTER (WHERE prev IS NULL OR prev < since)`` over the range's rows: one
index-only scan, no sort, no hash of every person. ``referee_converted`` says the referee
became a customer (a referral of theirs reached conversion, even if later cancelled), for
the cohort conversion rate.

Three writers: ``linked_insert`` (``Invitation.save`` on insert), ``mark_converted``
(``transitions.move``) and ``rebuild`` (migration 0027, bulk loads, ``bulk_create``).
Each writes at once, in the caller's transaction, then checks again once it commits:
two transactions racing on one person (two invitations, or an invitation and a conversion)
cannot see each other's rows, but the later of the two to commit sees both in its check,
so the facts end exact without a lock. The checks a transaction queues run together once
it commits: first their probes, in one SELECT (one round trip, nothing written: the facts
are almost always right), then only the checks that would write, as one string of
statements (one round trip, one implicit transaction).
Invitations are never edited and only deleted with their program (an erasure keeps them,
anonymised).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import day_summary

if TYPE_CHECKING:
    from .models import Invitation

PEOPLE = (("referrer", "prev_referrer_at"), ("referee", "prev_referee_at"))


# Everything ``linked_insert`` reads before the insert, in one round trip: each person's
# previous invitation date, whether the referee converted already, and each person's next
# invitation (a back-dated insert becomes its previous).
_LINK_SQL = """
SELECT
  (SELECT issued_at FROM parrain_invitation WHERE program_id = %(program)s
     AND referrer_id = %(referrer)s AND issued_at <= %(at)s ORDER BY issued_at DESC LIMIT 1),
  (SELECT issued_at FROM parrain_invitation WHERE program_id = %(program)s
     AND referee_id = %(referee)s AND issued_at <= %(at)s ORDER BY issued_at DESC LIMIT 1),
  EXISTS (SELECT 1 FROM parrain_referral WHERE program_id = %(program)s
     AND referee_id = %(referee)s AND converted_at IS NOT NULL),
  (SELECT id FROM parrain_invitation WHERE program_id = %(program)s
     AND referrer_id = %(referrer)s AND issued_at > %(at)s ORDER BY issued_at, id LIMIT 1),
  (SELECT id FROM parrain_invitation WHERE program_id = %(program)s
     AND referee_id = %(referee)s AND issued_at > %(at)s ORDER BY issued_at, id LIMIT 1)
"""


def linked_insert(invitation: Invitation, insert: Callable[[], None]) -> None:
    """Insert ``invitation`` with its facts: one read, the insert, and an update only when
    a later invitation of the same person exists (no savepoint inside a caller's
    transaction: nothing here catches an error)."""
    from .models import Invitation

    params = {
        "program": invitation.program_id,
        "referrer": invitation.referrer_id,
        "referee": invitation.referee_id,
        "at": invitation.issued_at,
    }
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(_LINK_SQL, params)
            prev_referrer, prev_referee, converted, next_referrer, next_referee = cursor.fetchone()
        invitation.prev_referrer_at, invitation.prev_referee_at = (
            _utc(prev_referrer),
            _utc(prev_referee),
        )
        invitation.referee_converted = converted
        insert()
        for (_person, prev), later in zip(PEOPLE, (next_referrer, next_referee), strict=True):
            if later is not None:
                Invitation.objects.filter(pk=later).update(**{prev: invitation.issued_at})
    ids = [invitation.program_id, invitation.referrer_id, invitation.referee_id]
    _after_commit(FACTS_SQL + _FACTS_RANGE, [*ids, invitation.issued_at], probe=_FACTS_PROBE)


def _utc(value: datetime | str | None) -> datetime | None:
    """A datetime read by raw SQL, aware: SQLite (the demo) gives it back naive, in UTC as
    Django stored it, and the field would take it for local time (an hour off in Paris,
    with a warning per invitation)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


_CONVERTED_SQL = """
UPDATE parrain_invitation SET referee_converted = true
WHERE program_id = %s AND referee_id = %s AND NOT referee_converted
"""

# After the commit, a check rather than a write: the conversion is read back from the
# committed rows (a savepoint rolled back since the write leaves the invitations alone).
# The probe first (same rows, same parameters): the UPDATE only when it would write.
_CONVERTED_CHECK_SQL = """
UPDATE parrain_invitation SET referee_converted = true
WHERE program_id = %s AND referee_id = %s AND NOT referee_converted
  AND EXISTS (SELECT 1 FROM parrain_referral r WHERE r.program_id = %s
    AND r.referee_id = %s AND r.converted_at IS NOT NULL)
"""
_CONVERTED_PROBE = """EXISTS (SELECT 1 FROM parrain_invitation
WHERE program_id = %s AND referee_id = %s AND NOT referee_converted
  AND EXISTS (SELECT 1 FROM parrain_referral r WHERE r.program_id = %s
    AND r.referee_id = %s AND r.converted_at IS NOT NULL))"""


def mark_converted(program_id: int, referee_id: int) -> None:
    """The referee became a customer: every invitation they received says so, for good."""
    # Written-out SQL: the ORM's update compiled twice per converting order (issue 16 §5).
    with connection.cursor() as cursor:
        cursor.execute(_CONVERTED_SQL, [program_id, referee_id])
    ids = [program_id, referee_id, program_id, referee_id]
    _after_commit(_CONVERTED_CHECK_SQL, ids, probe=_CONVERTED_PROBE)


class _AfterCommit:
    """One transaction's checks, run once it commits: their probes in one SELECT (one round
    trip, nothing written, no trigger run), then only the checks whose probe found rows to
    correct, as one string of statements: one round trip and one implicit transaction (one
    commit) for all of them (issue 16 §5: an order's invitation and conversion each queued
    one; their probes find nothing unless a concurrent transaction raced them)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, list, str]] = []

    def __call__(self) -> None:
        statements, self.statements = self.statements, []
        if connection.vendor != "postgresql":  # SQLite runs one statement per execute
            with connection.cursor() as cursor:
                for sql, params, _probe in statements:
                    cursor.execute(sql, params)
            return
        statements = _probed(statements)
        if not statements:
            return
        sql = ";\n".join(statement for statement, _, _ in statements)
        values = [value for _, params, _ in statements for value in params]
        for attempt in range(DEADLOCK_ATTEMPTS):
            try:
                with _client_binding_cursor() as cursor:
                    cursor.execute(sql, values)
                return
            except OperationalError as error:
                # The checks of two orders sharing a person may lock the same invitations
                # in turn (one implicit transaction runs them all): PostgreSQL cancels one;
                # it runs again, and then sees the other's committed rows.
                from .locks import is_deadlock  # locks imports the models, which use this

                if not is_deadlock(error) or attempt == DEADLOCK_ATTEMPTS - 1:
                    raise


def _probed(statements: list[tuple[str, list, str]]) -> list[tuple[str, list, str]]:
    """The statements whose probe says they would write (all of them if one has none), read
    in one SELECT on the connection's own cursor: within ``orders.record_order`` it binds on
    the server and is prepared once per connection."""
    if any(not probe for _, _, probe in statements):
        return statements
    sql = "SELECT " + ", ".join(probe for _, _, probe in statements)
    values = [value for _, params, _ in statements for value in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        needed = cursor.fetchone()
    return [statement for statement, need in zip(statements, needed, strict=True) if need]


#: How many times a transaction's checks run when PostgreSQL breaks a deadlock with them.
DEADLOCK_ATTEMPTS = 3


def _client_binding_cursor():  # noqa: ANN202
    """A cursor that binds values in the client, whatever the settings choose
    (``server_side_binding``): only such a cursor sends several statements in one execute.
    Wrapped by Django as its own cursors are (logged, counted)."""
    import psycopg

    connection.ensure_connection()
    return connection._prepare_cursor(psycopg.ClientCursor(connection.connection))


def _after_commit(sql: str, params: list, probe: str = "") -> None:
    """Run ``sql`` once the current transaction commits, with the transaction's other checks;
    with a ``probe`` (a boolean SQL expression on the same parameters), only if it is true
    then.

    The batch of the transaction is the one still registered with Django (a rolled-back
    transaction's callbacks are discarded, and so is its batch)."""
    batch = getattr(connection, "_parrain_after_commit", None)
    if batch is None or not any(func is batch for _, func, _ in connection.run_on_commit):
        batch = connection._parrain_after_commit = _AfterCommit()
        transaction.on_commit(batch)
    batch.statements.append((sql, params, probe))


FACTS_SQL = """
UPDATE parrain_invitation SET
  prev_referrer_at = (
    SELECT max(p.issued_at) FROM parrain_invitation p
    WHERE p.program_id = parrain_invitation.program_id
      AND p.referrer_id = parrain_invitation.referrer_id
      AND (p.issued_at < parrain_invitation.issued_at
           OR (p.issued_at = parrain_invitation.issued_at AND p.id < parrain_invitation.id))),
  prev_referee_at = (
    SELECT max(p.issued_at) FROM parrain_invitation p
    WHERE p.program_id = parrain_invitation.program_id
      AND p.referee_id = parrain_invitation.referee_id
      AND (p.issued_at < parrain_invitation.issued_at
           OR (p.issued_at = parrain_invitation.issued_at AND p.id < parrain_invitation.id))),
  referee_converted = EXISTS (
    SELECT 1 FROM parrain_referral r
    WHERE r.program_id = parrain_invitation.program_id
      AND r.referee_id = parrain_invitation.referee_id
      AND r.converted_at IS NOT NULL)
"""


# After the commit, first a read: does any of the person's invitations from the new one on
# hold facts other than the committed rows say? Almost never (the insert wrote them right),
# and an UPDATE that writes nothing still runs the dashboard's statement triggers (half a
# millisecond of each order, issue 16 §5); only then ``FACTS_SQL`` on the same rows. Same
# parameters as ``_FACTS_RANGE``. A scalar subquery rather than EXISTS for the conversion:
# PostgreSQL would hash every referral of the program to compare it.
_FACTS_PROBE = """EXISTS (
  SELECT 1 FROM parrain_invitation i
  WHERE i.program_id = %s AND (i.referrer_id = %s OR i.referee_id = %s) AND i.issued_at >= %s
    AND (i.prev_referrer_at IS DISTINCT FROM (
      SELECT max(p.issued_at) FROM parrain_invitation p
      WHERE p.program_id = i.program_id AND p.referrer_id = i.referrer_id
        AND (p.issued_at < i.issued_at OR (p.issued_at = i.issued_at AND p.id < i.id)))
    OR i.prev_referee_at IS DISTINCT FROM (
      SELECT max(p.issued_at) FROM parrain_invitation p
      WHERE p.program_id = i.program_id AND p.referee_id = i.referee_id
        AND (p.issued_at < i.issued_at OR (p.issued_at = i.issued_at AND p.id < i.id)))
    OR i.referee_converted <> COALESCE((
      SELECT true FROM parrain_referral r
      WHERE r.program_id = i.program_id AND r.referee_id = i.referee_id
        AND r.converted_at IS NOT NULL LIMIT 1), false)))"""

_FACTS_RANGE = """
WHERE program_id = %s AND (referrer_id = %s OR referee_id = %s) AND issued_at >= %s"""


ORDER_CHANNEL_SQL = """
UPDATE parrain_order SET channel = (
    SELECT i.channel FROM parrain_referral r
    JOIN parrain_invitation i ON i.id = r.invitation_id
    WHERE r.id = parrain_order.referral_id)
WHERE referral_id IS NOT NULL
"""


def rebuild(program_id: int | None = None) -> None:
    """Recompute the facts of every invitation (of one program), and the share channel of
    every attributed order (``Order.channel``): after rows were written without
    ``Invitation.save`` or ``orders.attribute`` (``bulk_create``, COPY); then the daily
    summary (core/day_summary.py)."""
    with connection.cursor() as cursor:
        for sql, where in ((FACTS_SQL, " WHERE"), (ORDER_CHANNEL_SQL, " AND")):
            if program_id is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql + where + " program_id = %s", [program_id])
    day_summary.rebuild(program_id)  # COPY with the triggers off leaves it behind too
