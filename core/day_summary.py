"""The dashboard's daily summary: what the page reads instead of the range's rows.

Three tables per program and local day of the program's time zone (core/models/summary.py):

- ``DaySummary``: invitations issued, referees converted (status converted, validated or
  rewarded, by ``converted_at``), revenue and referred revenue net of refunds;
- ``DayFirsts``: the day's invitations grouped by ``gap``, the number of local days since
  the same referrer's (referee's) previous invitation (``Invitation.prev_*_at``, see
  core/invitation_facts.py), 366 for none or longer ago. An invitation of day ``d`` is its
  person's first in a range that starts on ``s`` exactly when ``gap > d - s`` (the previous
  one lies before ``s``): distinct people over any range of at most 366 days are sums;
- ``DayChannel``: referred orders (attached to a referral that is not cancelled) per share
  channel (``Order.channel``).

**Who writes it.** On PostgreSQL, statement-level triggers on ``parrain_invitation``,
``parrain_referral`` and ``parrain_order`` (insert, update, delete: every writer, including
``update()``, ``bulk_create``, COPY and the deletion of a program) note the local days the
statement changed (old and new rows, only when a column the summary reads changed; a
referral whose status changed also notes the days of its orders) in ``parrain_day_pending``;
a deferred constraint trigger recomputes those days from the base rows when the transaction
commits (``parrain_day_refresh(program, day)``, in date order). A recomputed day is a pure
function of the committed rows plus the committing transaction's own, so it cannot drift.

**Races.** The refresh first locks the day's ``DaySummary`` row (creating it if needed) and
only then reads the base rows, each statement with a fresh snapshot (READ COMMITTED, the
Django default): two transactions committing changes to one day are serialised on that
row, and the second counts the first's rows too. The last refresh of a day always sees
every committed change, so the summary is exact at every commit. Day locks are taken only
at commit, in date order, by a transaction that then waits for nothing else: no deadlock
with the invitation facts' row updates (refreshing at each statement did deadlock). A day
left with no row at all is deleted (so deleting a program empties it whatever the order).
Changing a program's time zone rebuilds its summary (a trigger on ``parrain_program``).
A transaction that reads the summary after writing calls ``flush()`` first.

**Bulk loads with triggers off** (``session_replication_role = replica``, as the bench's
COPY) need ``rebuild(program_id)``; ``invitation_facts.rebuild`` calls it. Migration 0028
fills the summary for existing data.

Elsewhere (SQLite, the demo) there are no triggers and the summary stays empty:
``core/services/stats.py`` reads it only when ``usable``.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

#: The longest range the summary answers (gaps are capped just above it).
MAX_DAYS = 366

REFRESH_SQL = """
CREATE OR REPLACE FUNCTION parrain_day_refresh(p bigint, d date) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  tz text;
  since timestamptz;
  until timestamptz;
  n_invitations integer;
  n_converted integer;
  n_orders integer;
  total numeric;
  referred_total numeric;
BEGIN
  SELECT time_zone INTO tz FROM parrain_program WHERE id = p;
  IF tz IS NULL THEN
    RETURN;
  END IF;
  -- Lock the day first; every statement below then reads with a fresh snapshot.
  LOOP
    PERFORM 1 FROM parrain_daysummary WHERE program_id = p AND day = d FOR UPDATE;
    EXIT WHEN FOUND;
    INSERT INTO parrain_daysummary (program_id, day, invitations, converted, revenue, referred)
    VALUES (p, d, 0, 0, 0, 0) ON CONFLICT (program_id, day) DO NOTHING;
  END LOOP;
  since := d::timestamp AT TIME ZONE tz;
  until := (d + 1)::timestamp AT TIME ZONE tz;
  DELETE FROM parrain_dayfirsts WHERE program_id = p AND day = d;
  DELETE FROM parrain_daychannel WHERE program_id = p AND day = d;
  WITH inv AS (
    SELECT prev_referrer_at, prev_referee_at, referee_converted, referee_consent
    FROM parrain_invitation
    WHERE program_id = p AND issued_at >= since AND issued_at < until
  ), per_gap AS (
    SELECT LEAST(366, d - (prev_referrer_at AT TIME ZONE tz)::date) AS gap,
           1 AS r, 0 AS e, 0 AS c, 0 AS y, 0 AS a
    FROM inv
    UNION ALL
    SELECT LEAST(366, d - (prev_referee_at AT TIME ZONE tz)::date), 0, 1,
           referee_converted::int, (referee_consent IS TRUE)::int,
           (referee_consent IS NOT NULL)::int
    FROM inv
  )
  INSERT INTO parrain_dayfirsts (program_id, day, gap, referrers, referees,
                                 referees_converted, referees_consented, referees_answered)
  SELECT p, d, gap, sum(r), sum(e), sum(c), sum(y), sum(a) FROM per_gap GROUP BY gap;
  SELECT coalesce(sum(referrers), 0) INTO n_invitations
  FROM parrain_dayfirsts WHERE program_id = p AND day = d;
  SELECT count(*) INTO n_converted FROM parrain_referral
  WHERE program_id = p AND converted_at >= since AND converted_at < until
    AND status IN ('converted', 'validated', 'rewarded');
  INSERT INTO parrain_daychannel (program_id, day, channel, orders, revenue)
  SELECT p, d, o.channel, count(*), sum(o.amount - o.refunded_amount)
  FROM parrain_order o JOIN parrain_referral r ON r.id = o.referral_id
  WHERE o.program_id = p AND o.placed_at >= since AND o.placed_at < until
    AND r.status <> 'cancelled'
  GROUP BY o.channel;
  SELECT count(*), coalesce(sum(amount - refunded_amount), 0) INTO n_orders, total
  FROM parrain_order WHERE program_id = p AND placed_at >= since AND placed_at < until;
  SELECT coalesce(sum(revenue), 0) INTO referred_total
  FROM parrain_daychannel WHERE program_id = p AND day = d;
  IF n_invitations = 0 AND n_converted = 0 AND n_orders = 0 THEN
    DELETE FROM parrain_daysummary WHERE program_id = p AND day = d;
  ELSE
    UPDATE parrain_daysummary
    SET invitations = n_invitations, converted = n_converted,
        revenue = total, referred = referred_total
    WHERE program_id = p AND day = d;
  END IF;
END
$fn$;

-- The days a transaction touched, refreshed when it commits (or when it reads the summary).
CREATE UNLOGGED TABLE IF NOT EXISTS parrain_day_pending (
  txid bigint NOT NULL,
  program_id bigint NOT NULL,
  day date NOT NULL,
  PRIMARY KEY (txid, program_id, day)
);

CREATE OR REPLACE FUNCTION parrain_day_flush_now() RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  me bigint := txid_current_if_assigned();
  one record;
BEGIN
  IF me IS NULL THEN
    RETURN;
  END IF;
  FOR one IN
    SELECT program_id, day FROM parrain_day_pending WHERE txid = me ORDER BY 1, 2
  LOOP
    PERFORM parrain_day_refresh(one.program_id, one.day);
  END LOOP;
  DELETE FROM parrain_day_pending WHERE txid = me;
END
$fn$;

CREATE OR REPLACE FUNCTION parrain_day_flush() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM parrain_day_flush_now();
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS parrain_day_flush ON parrain_day_pending;
CREATE CONSTRAINT TRIGGER parrain_day_flush AFTER INSERT ON parrain_day_pending
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION parrain_day_flush();

CREATE OR REPLACE FUNCTION parrain_day_rebuild(p bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  tz text;
  one record;
BEGIN
  SELECT time_zone INTO tz FROM parrain_program WHERE id = p;
  DELETE FROM parrain_dayfirsts WHERE program_id = p;
  DELETE FROM parrain_daychannel WHERE program_id = p;
  DELETE FROM parrain_daysummary WHERE program_id = p;
  FOR one IN
    SELECT DISTINCT (moment AT TIME ZONE tz)::date AS day FROM (
      SELECT issued_at AS moment FROM parrain_invitation WHERE program_id = p
      UNION ALL
      SELECT converted_at FROM parrain_referral
      WHERE program_id = p AND converted_at IS NOT NULL
      UNION ALL
      SELECT placed_at FROM parrain_order WHERE program_id = p
    ) moments ORDER BY 1
  LOOP
    PERFORM parrain_day_refresh(p, one.day);
  END LOOP;
END
$fn$;
"""

# One function per table and operation: a trigger function may only name the transition
# tables its trigger declares (PostgreSQL plans each statement when it first runs).
TOUCH = {
    # table: (moments of a row, columns the summary reads)
    "invitation": (
        ["issued_at"],
        "program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted,"
        " referee_consent",
    ),
    "referral": (["converted_at"], "program_id, status, converted_at"),
    "order": (
        ["placed_at"],
        "program_id, placed_at, amount, refunded_amount, referral_id, channel",
    ),
}

TOUCH_SQL = """
CREATE OR REPLACE FUNCTION parrain_day_touch_{table}_{op}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  WITH touched AS ({rows}), moments AS ({moments})
  INSERT INTO parrain_day_pending (txid, program_id, day)
  SELECT DISTINCT txid_current(), m.program_id, (m.moment AT TIME ZONE p.time_zone)::date
  FROM moments m JOIN parrain_program p ON p.id = m.program_id
  WHERE m.moment IS NOT NULL
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_{table}_{op} ON "parrain_{table}";
CREATE TRIGGER parrain_day_{table}_{op} AFTER {event} ON "parrain_{table}"
REFERENCING {transition} FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_touch_{table}_{op}();
"""

PROGRAM_SQL = """
CREATE OR REPLACE FUNCTION parrain_day_program_zone() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM parrain_day_rebuild(NEW.id);
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_program_zone ON parrain_program;
CREATE TRIGGER parrain_day_program_zone AFTER UPDATE OF time_zone ON parrain_program
FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
EXECUTE FUNCTION parrain_day_program_zone();
"""


def _touch_sql(table: str) -> str:
    fields, columns = TOUCH[table]
    plain = ", ".join(["program_id", *fields])
    cases = {
        "insert": ("SELECT {plain} FROM new_rows", "NEW TABLE AS new_rows"),
        "delete": ("SELECT {plain} FROM old_rows", "OLD TABLE AS old_rows"),
        # only the rows where a column the summary reads changed, old and new days
        "update": (
            "SELECT {plain}, 'new' AS side, id FROM new_rows"
            " UNION ALL SELECT {plain}, 'old', id FROM old_rows",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        ),
    }
    out = []
    for op, (rows, transition) in cases.items():
        rows = rows.format(plain=plain)
        if op == "update":
            changed = (
                f"SELECT id FROM (SELECT {columns}, id FROM new_rows"
                f" EXCEPT SELECT {columns}, id FROM old_rows) d"
            )
            moments = " UNION ALL ".join(
                f"SELECT program_id, {field} AS moment FROM touched WHERE id IN ({changed})"
                for field in fields
            )
            if table == "referral":  # the referred revenue of its orders follows its status
                moments += (
                    " UNION ALL SELECT o.program_id, o.placed_at FROM parrain_order o"
                    " WHERE o.referral_id IN (SELECT n.id FROM new_rows n JOIN old_rows w"
                    " ON w.id = n.id WHERE n.status IS DISTINCT FROM w.status)"
                )
        else:
            moments = " UNION ALL ".join(
                f"SELECT program_id, {field} AS moment FROM touched" for field in fields
            )
        out.append(
            TOUCH_SQL.format(
                table=table,
                op=op,
                rows=rows,
                moments=moments,
                event=op.upper(),
                transition=transition,
            )
        )
    return "".join(out)


def install_sql() -> str:
    """The functions and triggers (PostgreSQL), as migration 0028 installs them."""
    return REFRESH_SQL + "".join(_touch_sql(table) for table in TOUCH) + PROGRAM_SQL


def rebuild(program_id: int | None = None) -> None:
    """Recompute the summary of one program (or all) from its rows: after a bulk load that
    bypassed the triggers. Nothing to do where there are none (SQLite)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if program_id is None:
            cursor.execute("SELECT parrain_day_rebuild(id) FROM parrain_program ORDER BY id")
        else:
            cursor.execute("SELECT parrain_day_rebuild(%s)", [program_id])


def flush() -> None:
    """Refresh now the days this transaction touched (they are refreshed when it commits):
    a transaction that wrote and then reads the summary sees its own changes."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT parrain_day_flush_now()")


def usable(time_zone: str, days: int) -> bool:
    """The summary answers ranges of at most ``MAX_DAYS`` local days of the program's time
    zone, read in that same zone, on PostgreSQL."""
    return (
        connection.vendor == "postgresql"
        and days <= MAX_DAYS
        and str(timezone.get_current_timezone()) == str(time_zone)
    )
