"""Benchmark: freeze a contest's entries and draw 100 winners on a big program.

    .venv/bin/python bench/contest.py [--contacts 1000000] [--rows 5000000] [--units 100]
        [--keep]

Runs in a PostgreSQL database and Redis prefix of its own (``bench/_harness.py``: named
after the bench, its process id and a random suffix), created and migrated for this run
and dropped at the end (``--keep`` leaves it; no other database is ever dropped). One
program is filled
server-side with ``INSERT … SELECT generate_series``: ``--contacts`` contacts, every one a
referrer, and ``--rows`` invitations (the ticket source rows: one ticket per invitation
sent), skewed so a few contacts send hundreds, nine in ten inside the contest's period; one
invitation in fifty has a referral, a third of those cancelled and a third held for review
(their invitations give no ticket). The contest caps tickets at 50 a person and has
``--units`` prize units.

Measured in ``--rounds`` rounds (three by default), alternating on warm tables: one
``count(*)`` over the ticket source rows of the period (the baseline: reading the rows
once), and ``contests.draw`` — freezing the entries with one ``INSERT … SELECT``, building
and hashing the entries file, picking the winners — rolled back after each round so the
next draws the same contest. Reported: the median draw, and the median of the per-round
ratios draw / count(*).
Celery is not eager and its broker is ``memory://``: the prize tasks are only queued.

Sizes also come from the environment: ``BENCH_CONTACTS``, ``BENCH_ROWS``, ``BENCH_UNITS``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import PG, BenchRun, load_average, say  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30


CONTACTS_SQL = """
INSERT INTO parrain_contact (id, program_id, email, email_normalized, email_canonical, phone,
    first_name, last_name, language, referrer_code, is_customer, consent_source, created_at,
    share_name)
SELECT g, %(program)s, 'c' || g || '@bench.example', 'c' || g || '@bench.example',
    'c' || g || '@bench.example', '', 'Name' || g, 'Family', '', 'B' || g, false, '',
    now(), ''
FROM generate_series(1, %(contacts)s) g
"""
# Skewed senders (random()^2: a few contacts send hundreds), friends anywhere; nine in ten
# inside the period [START, START + DAYS), the rest in the month before.
INVITATIONS_SQL = """
INSERT INTO parrain_invitation (id, program_id, referrer_id, referee_id, channel, issued_at,
    referrer_terms)
SELECT g, %(program)s, 1 + floor(%(contacts)s * random() ^ 2)::bigint,
    1 + floor(%(contacts)s * random())::bigint, 'email',
    CASE WHEN g %% 10 = 0 THEN %(start)s - random() * interval '30 days'
         ELSE %(start)s + random() * interval '30 days' END,
    '{}'
FROM generate_series(1, %(rows)s) g
"""
# One invitation in fifty has a referral; its referee is unique (one live referral each).
REFERRALS_SQL = """
INSERT INTO parrain_referral (id, program_id, referrer_id, referee_id, invitation_id, status,
    status_before_review, review_reason, cancel_reason, invited_at)
SELECT i.id, %(program)s, i.referrer_id, 1 + (i.id / 50) %% %(contacts)s, i.id,
    CASE (i.id / 50) %% 3 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'review' ELSE 'invited' END,
    '', '', '', i.issued_at
FROM parrain_invitation i WHERE i.id %% 50 = 0
"""
COUNT_SQL = """
SELECT count(*) FROM parrain_invitation
WHERE program_id = %s AND issued_at >= %s AND issued_at < %s
"""


def load(args: argparse.Namespace, database: str) -> Any:
    from django.db import connection

    from parrain.core.models import Program

    program = Program.objects.create(name="Bench contest", slug="bench-contest", currency="EUR")
    params = {
        "program": program.pk,
        "contacts": args.contacts,
        "rows": args.rows,
        "start": START,
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for name, sql in (
            ("contacts", CONTACTS_SQL),
            ("invitations", INVITATIONS_SQL),
            ("referrals", REFERRALS_SQL),
        ):
            cursor.execute(sql, params)
            say(f"  {name}: {cursor.rowcount:,}")
        for table in ("parrain_contact", "parrain_invitation", "parrain_referral"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    with psycopg.connect(f"{PG} dbname={database}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"loaded in {time.perf_counter() - started:.0f} s")
    return program


def make_contest(program: Any, units: int) -> Any:
    import hashlib
    import secrets

    from parrain.core.models import Contest, ContestPrize, ContestStatus, TicketSource

    seed = secrets.token_hex(32)
    contest = Contest.objects.create(
        program=program,
        name="Bench draw",
        rules_texts={"en": "Rules"},
        status=ContestStatus.OPEN,
        entries_start=START,
        entries_end=START + timedelta(days=DAYS),
        draw_at=START + timedelta(days=DAYS),
        ticket_source=TicketSource.INVITATION_SENT,
        ticket_cap=50,
        public_value_source="drand",
        server_seed=seed,
        commitment=hashlib.sha256(seed.encode()).hexdigest(),
        opened_at=START,
    )
    ContestPrize.objects.create(contest=contest, position=1, label="Hamper", quantity=10)
    ContestPrize.objects.create(contest=contest, position=2, label="Mug", quantity=units - 10)
    return contest


class Rollback(Exception):
    pass


def timed_count(contest: Any) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(COUNT_SQL, [contest.program_id, contest.entries_start, contest.entries_end])
        cursor.fetchone()
    return time.perf_counter() - started


def timed_draw(contest: Any) -> tuple[float, Any]:
    """One draw, rolled back so the next round draws the same contest again."""
    from django.db import transaction

    from parrain.core.services import contests

    result = None
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result = contests.draw(contest, "drand round 5000000: 8b1f0c")
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--contacts", type=int, default=int(os.environ.get("BENCH_CONTACTS", 1_000_000))
    )
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", 5_000_000)))
    parser.add_argument("--units", type=int, default=int(os.environ.get("BENCH_UNITS", 100)))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    # memory:// broker: the prize tasks are only queued.
    with BenchRun("contest", memory_broker=True, keep=args.keep) as run:
        run.setup_django()
        say(load_average())
        say(f"loading {args.contacts:,} contacts and {args.rows:,} invitations…")
        program = load(args, run.name)
        contest = make_contest(program, args.units)
        counts, draws = [], []
        for _round in range(args.rounds):
            counts.append(timed_count(contest))
            elapsed, result = timed_draw(contest)
            draws.append(elapsed)
            say(
                f"  round: count(*) {counts[-1]:.2f} s, draw {elapsed:.2f} s "
                f"({result.contest.entries_count:,} entrants, "
                f"{result.contest.tickets_total:,} tickets, {len(result.winners)} winners)"
            )
        count, drawn = statistics.median(counts), statistics.median(draws)
        ratio = statistics.median(d / c for d, c in zip(draws, counts, strict=True))
        say(
            f"median: count(*) over the ticket rows {count:.2f} s, freeze + draw {drawn:.2f} s "
            f"(target ≤ 30 s); draw / count(*) {ratio:.1f}× (median of per-round ratios)"
        )
        say(load_average())


if __name__ == "__main__":
    main()
