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
``update()``, ``bulk_create``, COPY and the deletion of a program) compute from their
transition tables what the statement changed, grouped per program, local day, gap and
channel (+ new rows, - old rows; a referral whose state changed moves its orders in or out
of the referred revenue), and APPEND it to three delta tables (``parrain_day*_delta``):
no key, no conflict, no shared row, O(rows changed). Readers (core/services/stats.py) sum
the summary rows and the pending deltas in one statement. ``compact()``
(``parrain_day_compact()``, the beat every minute) folds the deltas into the summary under
one advisory lock: ``DELETE … RETURNING``, grouped, ``INSERT … ON CONFLICT DO UPDATE`` adding,
then deletes the rows left at zero.

**Exact.** Committed deltas sum to the summary of the committed rows (a telescoping sum;
deltas commit with their rows); a reader's one snapshot sees a compaction either wholly or
not at all; the lock orders compactions and rebuilds. Order statements lock their
referrals (``FOR SHARE``) before reading their state and a time-zone change locks the three
tables (SHARE) before rebuilding: both joins are exact under READ COMMITTED (Django's
default). docs/dashboard.md has the argument.

**Bulk loads with triggers off** (``session_replication_role = replica``, as the bench's
COPY) need ``rebuild(program_id)``, which also runs when a program's time zone changes;
``invitation_facts.rebuild`` calls it. Migration 0028 fills the summary for existing data;
0032 installs the triggers' present bodies.

Elsewhere (SQLite, the demo) there are no triggers and the summary stays empty:
``core/services/stats.py`` reads it only when ``usable``.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

#: The longest range the summary answers (gaps are capped just above it).
MAX_DAYS = 366

#: The transaction-level advisory lock that serialises the writers of the summary tables
#: (compaction and rebuild; the triggers only append deltas and never take it).
LOCK = 7_061_727_261_696_001

# The deltas: one table per summary table, same columns, append-only (no key, no conflict).
TABLES_SQL = """
CREATE TABLE IF NOT EXISTS parrain_daysummary_delta (
  program_id bigint NOT NULL,
  day date NOT NULL,
  invitations integer NOT NULL,
  converted integer NOT NULL,
  revenue numeric NOT NULL,
  referred numeric NOT NULL
);
CREATE INDEX IF NOT EXISTS parrain_daysummary_delta_day
  ON parrain_daysummary_delta (program_id, day);
CREATE TABLE IF NOT EXISTS parrain_dayfirsts_delta (
  program_id bigint NOT NULL,
  day date NOT NULL,
  gap smallint NOT NULL,
  referrers integer NOT NULL,
  referees integer NOT NULL,
  referees_converted integer NOT NULL,
  referees_consented integer NOT NULL,
  referees_answered integer NOT NULL
);
CREATE INDEX IF NOT EXISTS parrain_dayfirsts_delta_day
  ON parrain_dayfirsts_delta (program_id, day);
CREATE TABLE IF NOT EXISTS parrain_daychannel_delta (
  program_id bigint NOT NULL,
  day date NOT NULL,
  channel varchar(12),
  orders integer NOT NULL,
  revenue numeric NOT NULL
);
CREATE INDEX IF NOT EXISTS parrain_daychannel_delta_day
  ON parrain_daychannel_delta (program_id, day);
-- a queue: compaction deletes every row each minute; vacuum its dead rows early
ALTER TABLE parrain_daysummary_delta SET (autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_insert_scale_factor = 0,
  autovacuum_vacuum_insert_threshold = 5000);
ALTER TABLE parrain_dayfirsts_delta SET (autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_insert_scale_factor = 0,
  autovacuum_vacuum_insert_threshold = 5000);
ALTER TABLE parrain_daychannel_delta SET (autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_insert_scale_factor = 0,
  autovacuum_vacuum_insert_threshold = 5000);
-- the keys compaction adds into (ON CONFLICT); a NULL channel is one key
CREATE UNIQUE INDEX IF NOT EXISTS parrain_dayfirsts_key
  ON parrain_dayfirsts (program_id, day, gap);
CREATE UNIQUE INDEX IF NOT EXISTS parrain_daychannel_key
  ON parrain_daychannel (program_id, day, (coalesce(channel, '')));
"""

# What rows contribute, as INSERTs into the delta tables reading a CTE of signed rows
# (``s``: +1 for a new row, -1 for an old one). Days are local days of the program's zone.
INVITATION_PARTS = [
    """INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, sum(s), 0, 0, 0 FROM {src}_days GROUP BY 1, 2 HAVING sum(s) <> 0""",
    """INSERT INTO parrain_dayfirsts_delta (program_id, day, gap, referrers, referees,
  referees_converted, referees_consented, referees_answered)
SELECT program_id, day, gap, sum(r), sum(e), sum(c), sum(y), sum(a) FROM (
  SELECT program_id, day, LEAST(366, day - (prev_referrer_at AT TIME ZONE tz)::date) AS gap,
         s AS r, 0 AS e, 0 AS c, 0 AS y, 0 AS a
  FROM {src}_days
  UNION ALL
  SELECT program_id, day, LEAST(366, day - (prev_referee_at AT TIME ZONE tz)::date), 0, s,
         s * referee_converted::int, s * (referee_consent IS TRUE)::int,
         s * (referee_consent IS NOT NULL)::int
  FROM {src}_days
) per_gap
GROUP BY 1, 2, 3
HAVING sum(r) <> 0 OR sum(e) <> 0 OR sum(c) <> 0 OR sum(y) <> 0 OR sum(a) <> 0""",
]
REFERRAL_PARTS = [
    """INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, sum(s), 0, 0 FROM {src}_days
WHERE status IN ('converted', 'validated', 'rewarded')
GROUP BY 1, 2 HAVING sum(s) <> 0""",
]
# ``live``: the order's referral exists and is not cancelled (a referred order)
ORDER_PARTS = [
    """INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, 0, sum(s * (amount - refunded_amount)),
       sum(s * live * (amount - refunded_amount))
FROM {src}_days GROUP BY 1, 2
HAVING sum(s * (amount - refunded_amount)) <> 0 OR sum(s * live * (amount - refunded_amount)) <> 0
    OR sum(s) <> 0""",
    """INSERT INTO parrain_daychannel_delta (program_id, day, channel, orders, revenue)
SELECT program_id, day, channel, sum(s), sum(s * (amount - refunded_amount))
FROM {src}_days WHERE live = 1 GROUP BY 1, 2, 3
HAVING sum(s) <> 0 OR sum(s * (amount - refunded_amount)) <> 0""",
]
# A referral that is cancelled or restored moves its orders in or out of the referred
# revenue and the channels, not out of the revenue (``{src}``: its orders, signed, live)
MOVED_ORDER_PARTS = [
    """INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, 0, 0, sum(s * (amount - refunded_amount))
FROM {src}_days GROUP BY 1, 2 HAVING sum(s * (amount - refunded_amount)) <> 0""",
    ORDER_PARTS[1],
]
COLUMNS = {
    "invitation": (
        "issued_at",
        "program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted,"
        " referee_consent",
    ),
    "referral": ("converted_at", "program_id, converted_at, status"),
    "order": ("placed_at", "program_id, placed_at, amount, refunded_amount, referral_id, channel"),
}
PARTS = {"invitation": INVITATION_PARTS, "referral": REFERRAL_PARTS, "order": ORDER_PARTS}


def _days(name: str, moment: str) -> str:
    """The CTE ``<name>_days``: the signed rows of ``<name>`` with their local day."""
    return (
        f"{name}_days AS (SELECT x.*, p.time_zone AS tz,"  # nosec B608 # module constants only
        f" (x.{moment} AT TIME ZONE p.time_zone)::date AS day"
        f" FROM {name} x JOIN parrain_program p ON p.id = x.program_id"
        f" WHERE x.{moment} IS NOT NULL)"
    )


def _statement(ctes: list[str], parts: list[str]) -> str:
    """One statement (one snapshot): the CTEs, every part but the last as a CTE, the last."""
    named = [*ctes, *(f"part_{n} AS ({part})" for n, part in enumerate(parts[:-1]))]
    return "WITH " + ",\n".join(named) + "\n" + parts[-1]


def _signed(table: str, op: str) -> str:
    _, columns = COLUMNS[table]
    new = f"SELECT {columns}, 1 AS s FROM new_rows"  # nosec B608 # module constants only
    old = f"SELECT {columns}, -1 AS s FROM old_rows"  # nosec B608 # module constants only
    return {"insert": new, "delete": old, "update": f"{new} UNION ALL {old}"}[op]


def _order_ctes(src: str, probe: bool = False) -> list[str]:
    """Signed orders: their referral's state now (locked by the trigger) makes them live.

    ``probe``: a trigger's few rows read their referral by its key, one index probe a row
    (a join would let the planner scan ``parrain_referral``, which it cannot size against a
    transition table); the rebuild's whole program joins."""
    if probe:
        live = (
            "coalesce((SELECT (r.status <> 'cancelled')::int FROM parrain_referral r"
            " WHERE r.id = o.referral_id), 0)"
        )
        return [
            f"orders AS (SELECT o.*, {live} AS live FROM ({src}) o)",  # nosec B608 # module constants only
            _days("orders", "placed_at"),
        ]
    return [
        f"orders AS (SELECT o.*, (r.id IS NOT NULL AND r.status <> 'cancelled')::int AS live"  # nosec B608 # module constants only
        f" FROM ({src}) o LEFT JOIN parrain_referral r ON r.id = o.referral_id)",
        _days("orders", "placed_at"),
    ]


# What a row's contribution depends on, per table (the referral's id: its orders).
COUNTED = {
    "invitation": COLUMNS["invitation"][1],
    "referral": "id, " + COLUMNS["referral"][1],
    "order": COLUMNS["order"][1],
}


def _skip(table: str, op: str) -> str:
    """Return at once when the statement changed nothing that counts: an empty transition
    table (``ON CONFLICT DO NOTHING``, an UPDATE that matched nothing), or an UPDATE whose
    new rows hold, as a multiset, the same counted columns as its old rows (their signed
    contributions cancel exactly: a refund of 0, the facts check, ``updated_at``)."""
    if op != "update":
        side = "new" if op == "insert" else "old"
        return (
            f"  IF NOT EXISTS (SELECT 1 FROM {side}_rows) THEN"  # nosec B608 # module constants only
            "\n    RETURN NULL;\n  END IF;\n"
        )
    columns = COUNTED[table]
    return (
        f"  IF NOT EXISTS ((SELECT {columns} FROM new_rows EXCEPT ALL"  # nosec B608 # module constants only
        f" SELECT {columns} FROM old_rows) UNION ALL (SELECT {columns} FROM old_rows"
        f" EXCEPT ALL SELECT {columns} FROM new_rows)) THEN\n    RETURN NULL;\n  END IF;\n"
    )


def _trigger_body(table: str, op: str) -> str:
    moment, _ = COLUMNS[table]
    signed = _signed(table, op)
    if table == "order":
        sides = {"insert": ["new"], "delete": ["old"], "update": ["new", "old"]}[op]
        rows = [f"SELECT referral_id FROM {side}_rows" for side in sides]  # nosec B608 # module constants only
        # one probe of the key a referral, in the order of their ids: ``IN (SELECT …)`` (or
        # ``= ANY(ARRAY(…))``, sized as ten ids) let the planner scan a small table
        lock = (
            "  PERFORM (SELECT 1 FROM parrain_referral r WHERE r.id = x.id FOR SHARE) FROM ("  # nosec B608 # module constants only
            + " UNION ".join(rows).replace("SELECT referral_id", "SELECT referral_id AS id", 1)
            + " ORDER BY 1) x WHERE x.id IS NOT NULL;\n"
        )
        parts = [part.format(src="orders") for part in ORDER_PARTS]
        return _skip(table, op) + lock + "  " + _statement(_order_ctes(signed, True), parts) + ";\n"
    parts = [part.format(src="changes") for part in PARTS[table]]
    body = _skip(table, op)
    statement = _statement([f"changes AS ({signed})", _days("changes", moment)], parts)
    if table != "referral":
        return body + "  " + statement + ";\n"
    sides = {"insert": ["new"], "delete": ["old"], "update": ["new", "old"]}[op]
    # only a converted referral counts: most referrals are opened, and move, pending
    counted = " UNION ALL ".join(
        f"SELECT 1 FROM {side}_rows WHERE converted_at IS NOT NULL"  # nosec B608 # module constants only
        " AND status IN ('converted', 'validated', 'rewarded')"
        for side in sides
    )
    body += f"  IF EXISTS ({counted}) THEN\n  {statement};\n  END IF;\n"
    # a referral whose state (cancelled or not, existing or not) changed moves its
    # orders in or out of the referred revenue: their signed contribution
    live = "(status <> 'cancelled')::int"
    changed = {
        "insert": f"SELECT id, {live} AS s FROM new_rows",  # nosec B608 # module constants only
        "delete": f"SELECT id, -{live} AS s FROM old_rows",  # nosec B608 # module constants only
        "update": "SELECT n.id, (n.status <> 'cancelled')::int - (w.status <> 'cancelled')::int"
        " AS s FROM new_rows n JOIN old_rows w ON w.id = n.id"
        " WHERE n.status IS DISTINCT FROM w.status",
    }[op]
    orders = [
        f"changed AS ({changed})",
        # the orders of the referrals that moved, by the order's referral index
        "orders AS (SELECT o.program_id, o.placed_at, o.amount, o.refunded_amount,"
        " o.channel, c.s, 1 AS live FROM parrain_order o JOIN changed c"
        " ON c.id = o.referral_id"
        " WHERE o.referral_id = ANY(ARRAY(SELECT id FROM changed WHERE s <> 0)))",
        _days("orders", "placed_at"),
    ]
    # the orders are probed first, one probe of their referral index a referral (a scalar
    # subquery: a join would let the planner scan a small table): a referral rarely has
    # any when it is opened, and its orders move only when it is cancelled or restored
    moved = {
        "insert": "SELECT id FROM new_rows WHERE status <> 'cancelled'",
        "delete": "SELECT id FROM old_rows WHERE status <> 'cancelled'",
        "update": "SELECT n.id FROM new_rows n JOIN old_rows w ON w.id = n.id"
        " WHERE (n.status <> 'cancelled') <> (w.status <> 'cancelled')",
    }[op]
    statement = _statement(orders, [p.format(src="orders") for p in MOVED_ORDER_PARTS])
    body += (
        f"  IF EXISTS (SELECT 1 FROM ({moved}) m WHERE (SELECT o.id FROM parrain_order o"  # nosec B608 # module constants only
        " WHERE o.referral_id = m.id LIMIT 1) IS NOT NULL)"
        f" THEN\n  {statement};\n  END IF;\n"
    )
    return body


TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION parrain_day_delta_{table}_{op}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
{body}  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_{table}_{op} ON "parrain_{table}";
CREATE TRIGGER parrain_day_{table}_{op} AFTER {event} ON "parrain_{table}"
REFERENCING {transition} FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_{table}_{op}();
"""
TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
}

# Folding one delta table into its summary table: (delta, summary, key columns, conflict
# target, value columns).
FOLDS = [
    (
        "parrain_daysummary_delta",
        "parrain_daysummary",
        ["program_id", "day"],
        "(program_id, day)",
        ["invitations", "converted", "revenue", "referred"],
    ),
    (
        "parrain_dayfirsts_delta",
        "parrain_dayfirsts",
        ["program_id", "day", "gap"],
        "(program_id, day, gap)",
        ["referrers", "referees", "referees_converted", "referees_consented", "referees_answered"],
    ),
    (
        "parrain_daychannel_delta",
        "parrain_daychannel",
        ["program_id", "day", "channel"],
        "(program_id, day, (coalesce(channel, '')))",
        ["orders", "revenue"],
    ),
]

FOLD_SQL = """
  WITH gone AS (DELETE FROM {delta} RETURNING *),
  grouped AS (
    SELECT {keys}, {sums} FROM gone
    WHERE program_id IN (SELECT id FROM parrain_program)
    GROUP BY {keys} HAVING {nonzero}
  ),
  added AS (
    INSERT INTO {summary} AS t ({keys}, {values}) SELECT * FROM grouped
    ON CONFLICT {target} DO UPDATE SET {adds}
    RETURNING {returned}, {empty} AS empty
  )
  SELECT (SELECT count(*) FROM gone), {arrays} INTO n, {variables} FROM added;
  folded := folded + n;
  DELETE FROM {summary} t USING unnest({variables}) AS k({keys})
  WHERE {matched};
"""


def _fold_sql(delta: str, summary: str, keys: list[str], target: str, values: list[str]) -> str:
    variables = [f"k_{key}" for key in keys]
    return FOLD_SQL.format(
        delta=delta,
        summary=summary,
        keys=", ".join(keys),
        values=", ".join(values),
        sums=", ".join(f"sum({value})" for value in values),
        nonzero=" OR ".join(f"sum({value}) <> 0" for value in values),
        target=target,
        adds=", ".join(f"{value} = t.{value} + excluded.{value}" for value in values),
        returned=", ".join(f"t.{key}" for key in keys),
        empty=" AND ".join(f"t.{value} = 0" for value in values),
        arrays=", ".join(f"array_agg({key}) FILTER (WHERE empty)" for key in keys),
        variables=", ".join(variables),
        matched=" AND ".join(f"t.{key} IS NOT DISTINCT FROM k.{key}" for key in keys),
    )


COMPACT_SQL = """
CREATE OR REPLACE FUNCTION parrain_day_compact() RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  folded bigint := 0;
  n bigint;
  k_program_id bigint[];
  k_day date[];
  k_gap smallint[];
  k_channel text[];
BEGIN
  PERFORM pg_advisory_xact_lock({lock});
{folds}  RETURN folded;
END
$fn$;
"""

# A rebuild appends the contributions of every row of the program as deltas, in the same
# statement (the same snapshot) that drops its pending deltas, then folds them.
REBUILD_SQL = """
CREATE OR REPLACE FUNCTION parrain_day_rebuild(p bigint) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock({lock});
  DELETE FROM parrain_dayfirsts WHERE program_id = p;
  DELETE FROM parrain_daychannel WHERE program_id = p;
  DELETE FROM parrain_daysummary WHERE program_id = p;
  {statement};
  PERFORM parrain_day_compact();
END
$fn$;
"""

PROGRAM_SQL = """
CREATE OR REPLACE FUNCTION parrain_day_program_zone() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  -- wait for the writers in flight (their deltas used the old zone), hold the new ones
  LOCK TABLE parrain_invitation, parrain_referral, parrain_order IN SHARE MODE;
  PERFORM parrain_day_rebuild(NEW.id);
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_program_zone ON parrain_program;
CREATE TRIGGER parrain_day_program_zone AFTER UPDATE OF time_zone ON parrain_program
FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
EXECUTE FUNCTION parrain_day_program_zone();
"""


def _rebuild_statement() -> str:
    ctes = [
        *(
            f"drop_{n} AS (DELETE FROM {fold[0]} WHERE program_id = p)"  # nosec B608 # module constants only
            for n, fold in enumerate(FOLDS)
        ),
        f"inv AS (SELECT {COLUMNS['invitation'][1]}, 1 AS s FROM parrain_invitation"  # nosec B608 # module constants only
        " WHERE program_id = p)",
        _days("inv", "issued_at"),
        f"ref AS (SELECT {COLUMNS['referral'][1]}, 1 AS s FROM parrain_referral"  # nosec B608 # module constants only
        " WHERE program_id = p)",
        _days("ref", "converted_at"),
        *_order_ctes(
            f"SELECT {COLUMNS['order'][1]}, 1 AS s FROM parrain_order WHERE program_id = p"  # nosec B608 # module constants only
        ),
    ]
    parts = [
        *(part.format(src="inv") for part in INVITATION_PARTS),
        *(part.format(src="ref") for part in REFERRAL_PARTS),
        *(part.format(src="orders") for part in ORDER_PARTS),
    ]
    return _statement(ctes, parts)


def triggers_sql() -> str:
    """The nine statement triggers and their functions, as migration 0032 installs them."""
    return "".join(
        TRIGGER_SQL.format(
            table=table,
            op=op,
            body=_trigger_body(table, op),
            event=op.upper(),
            transition=TRANSITIONS[op],
        )
        for table in COLUMNS
        for op in TRANSITIONS
    )


def install_sql() -> str:
    """The tables, functions and triggers (PostgreSQL), as migrations 0028 then 0032 (the
    triggers' bodies, rewritten to probe by key and return early) install them."""
    triggers = triggers_sql()
    compact = COMPACT_SQL.format(lock=LOCK, folds="".join(_fold_sql(*fold) for fold in FOLDS))
    rebuild = REBUILD_SQL.format(lock=LOCK, statement=_rebuild_statement())
    return TABLES_SQL + triggers + compact + rebuild + PROGRAM_SQL


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


def compact() -> int:
    """Fold the pending deltas into the summary (the beat runs it every minute; safe at any
    time, concurrent calls wait for each other). Returns the number of deltas folded."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT parrain_day_compact()")
        return int(cursor.fetchone()[0])


def usable(time_zone: str, days: int) -> bool:
    """The summary answers ranges of at most ``MAX_DAYS`` local days of the program's time
    zone, read in that same zone, on PostgreSQL."""
    return (
        connection.vendor == "postgresql"
        and days <= MAX_DAYS
        and str(timezone.get_current_timezone()) == str(time_zone)
    )
