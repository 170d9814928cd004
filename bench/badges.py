"""Benchmark: badges on a big program — evaluation per event, full recompute, order ingestion.

    .venv/bin/python bench/badges.py [--contacts 1000000] [--ledger 5000000] [--samples 200]
        [--recompute-sample 10000] [--orders 1000] [--reload] [--explain] [--quick]
        [--keep | --database NAME]

Runs in a PostgreSQL database and Redis prefix of its own (``bench/_harness.py``: named
after the bench, its process id and a random suffix): several runs on one machine never
share or drop each other's. The run creates, migrates and fills it, and drops it at the
end unless ``--keep`` is given (its name is printed);
``--database NAME`` reuses a kept one (data reloaded only when its sizes differ or with
``--reload``) and leaves it in place. One program is filled server-side with ``INSERT …
SELECT generate_series`` (contacts, invitations from a tenth of them, referrals in every
state with their orders, the loyalty ledger), then vacuumed and analysed. The program gets
10 badges of 3 conditions each, touching every condition kind. Nothing is written into the
repository.

(a) ``badges.evaluate(contact)`` for random contacts and random referrers: median and p95.
(b) The full recompute's batch path (``badge_recompute.recompute_batch``, 1,000 contacts a
    batch) over ``--recompute-sample`` contacts in whole batches spread over the primary
    keys (0 = all of them), twice: first with no badge held, then again with nothing to
    change; contacts/s and the time for all contacts (projected from the sample).
(c) ``orders.record_order`` for new customers in a loop, a program without badges against
    one with the same 10 badges, in alternating rounds (the median of the per-round
    ratios). Celery is not eager and its broker is ``memory://``: what is measured is the
    request side, i.e. the receivers, the ``on_commit`` callback and publishing one
    ``evaluate_badges`` message per order (no worker runs; with Redis as the broker add its
    round trip). Both programs give purchase points, so the ledger line is in both columns.

Sizes also come from the environment: ``BENCH_CONTACTS``, ``BENCH_LEDGER``, ``BENCH_SAMPLES``,
``BENCH_RECOMPUTE_SAMPLE``, ``BENCH_ORDERS``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import PG, BenchRun, interleaved, load_average, ratio_table, say  # noqa: E402

SLUG = "bench-badges"
SPAN_DAYS = 730
ROUNDS = 5
QUICK = {"contacts": 5_000, "ledger": 25_000, "samples": 40, "recompute_sample": 0, "orders": 100}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Loading --------------------------------------------------------------------------------

CONTACTS_SQL = """
INSERT INTO parrain_contact (id, program_id, email, email_normalized, email_canonical, phone,
    first_name, last_name, language, referrer_code, is_customer, consent_source, created_at,
    share_name)
SELECT g, %(program)s, 'c' || g || '@bench.example', 'c' || g || '@bench.example',
    'c' || g || '@bench.example', '', '', '', '',
    CASE WHEN g <= %(referrers)s THEN 'B' || g END, false, '',
    now() - random() * interval '730 days', ''
FROM generate_series(1, %(contacts)s) g
"""
# A tenth of the contacts refer; each invites on average five friends (skewed: a few invite
# hundreds), every friend a distinct contact.
INVITATIONS_SQL = """
INSERT INTO parrain_invitation (id, program_id, referrer_id, referee_id, channel, issued_at,
    referrer_terms)
SELECT g, %(program)s, 1 + floor(%(referrers)s * random() ^ 2)::bigint, %(referrers)s + g,
    'email', now() - random() * interval '730 days', '{}'
FROM generate_series(1, %(invitations)s) g
"""
# Two invitations in five became a referral; its id is the invitation's.
REFERRALS_SQL = """
INSERT INTO parrain_referral (id, program_id, referrer_id, referee_id, invitation_id, status,
    status_before_review, review_reason, cancel_reason, invited_at, registered_at,
    converted_at, validated_at, rewarded_at, cancelled_at, order_id)
SELECT i.id, %(program)s, i.referrer_id, i.referee_id, i.id, s.status, '', '',
    CASE WHEN s.status = 'cancelled' THEN 'refunded' ELSE '' END,
    i.issued_at, i.issued_at + interval '2 hours',
    CASE WHEN s.status <> 'registered' THEN i.issued_at + interval '3 days' END,
    CASE WHEN s.status IN ('validated', 'rewarded') THEN i.issued_at + interval '17 days' END,
    CASE WHEN s.status = 'rewarded' THEN i.issued_at + interval '17 days' END,
    CASE WHEN s.status = 'cancelled' THEN i.issued_at + interval '10 days' END,
    CASE WHEN s.status <> 'registered' THEN i.id END
FROM parrain_invitation i
CROSS JOIN LATERAL (
    SELECT CASE WHEN b < 35 THEN 'registered' WHEN b < 60 THEN 'converted'
        WHEN b < 75 THEN 'validated' WHEN b < 95 THEN 'rewarded' ELSE 'cancelled' END AS status
    FROM (SELECT (i.id * 7919) %% 100 AS b) AS bucket
) AS s
WHERE i.id %% 5 < 2
"""
ORDERS_SQL = """
INSERT INTO parrain_order (id, program_id, external_id, contact_id, amount, currency, placed_at,
    welcome_code, referral_code, refunded_amount, recorded_at, referral_id)
SELECT r.id, %(program)s, 'B-' || r.id, r.referee_id, a.amount, 'EUR', r.converted_at, '', '',
    CASE WHEN r.status = 'cancelled' THEN a.amount ELSE 0 END, r.converted_at, r.id
FROM parrain_referral r
CROSS JOIN LATERAL (SELECT round((20 + random() * 200 + 0 * r.id)::numeric, 2) AS amount) AS a
WHERE r.order_id IS NOT NULL
"""
# Half purchases, then reviews, follows, newsletter sign-ups, a custom "quiz", birthdays.
LEDGER_SQL = """
INSERT INTO parrain_loyaltyentry (program_id, contact_id, kind, custom_kind, points,
    occurred_at, recorded_at, source, reason)
SELECT %(program)s, 1 + floor(random() * %(contacts)s)::bigint, k.kind,
    CASE WHEN k.kind = 'custom' THEN 'quiz' ELSE '' END, k.points, t.at, t.at, 'bench', ''
FROM generate_series(1, %(ledger)s) g
CROSS JOIN LATERAL (SELECT now() - random() * interval '730 days' + g * interval '0' AS at) t
CROSS JOIN LATERAL (
    SELECT CASE WHEN g %% 20 < 10 THEN 'purchase' WHEN g %% 20 < 13 THEN 'review'
        WHEN g %% 20 = 13 THEN 'birthday' WHEN g %% 20 < 16 THEN 'social_follow'
        WHEN g %% 20 < 18 THEN 'newsletter_signup' ELSE 'custom' END AS kind,
        CASE WHEN g %% 20 < 10 THEN 20 + (g * 7) %% 180 WHEN g %% 20 < 13 THEN 50
        WHEN g %% 20 = 13 THEN 100 WHEN g %% 20 < 16 THEN 30 WHEN g %% 20 < 18 THEN 20
        ELSE 10 END AS points
) k
"""


def load(args: argparse.Namespace) -> None:
    from parrain.core.models import Program

    sizes = {
        "contacts": args.contacts,
        "referrers": max(1, args.contacts // 10),
        "invitations": args.contacts // 2,
        "ledger": args.ledger,
    }
    say(f"loading {args.contacts:,} contacts and {args.ledger:,} ledger lines…")
    started = time.perf_counter()
    with psycopg.connect(f"{PG} dbname={args.database_name}") as conn:
        conn.execute("TRUNCATE parrain_program RESTART IDENTITY CASCADE")
        conn.commit()
        program = Program.objects.create(name="Bench badges", slug=SLUG, currency="EUR")
        sizes["program"] = program.pk
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")  # skip FK checks
            steps = [
                ("contacts", CONTACTS_SQL),
                ("invitations", INVITATIONS_SQL),
                ("referrals", REFERRALS_SQL),
                ("orders", ORDERS_SQL),
                ("ledger", LEDGER_SQL),
            ]
            for name, sql in steps:
                step = time.perf_counter()
                rows = conn.execute(sql, sizes).rowcount
                say(f"  {name}: {rows:,} rows in {time.perf_counter() - step:.1f}s")
            for table in ("contact", "invitation", "referral", "order", "loyaltyentry"):
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('parrain_{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM parrain_{table}))"
                )
    say(f"loaded in {time.perf_counter() - started:.1f}s")


def loaded(args: argparse.Namespace) -> bool:
    from parrain.core.models import Contact, LoyaltyEntry, Program

    program = Program.objects.filter(slug=SLUG).first()
    return bool(
        program
        and Contact.objects.filter(program=program).count() == args.contacts
        and LoyaltyEntry.objects.filter(program=program).count() == args.ledger
    )


def vacuum(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with psycopg.connect(f"{PG} dbname={args.database_name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"vacuum analyze: {time.perf_counter() - started:.1f}s")


# Badges ---------------------------------------------------------------------------------

# (match, kept once earned, conditions): a condition is (kind, threshold, period days,
# loyalty action or "holds": the rank of the badge it requires).
# fmt: off
BADGES: list[tuple[str, bool, list[tuple[str, int, int | None, Any]]]] = [
    # About one contact in twelve earns the first level; each level is rarer.
    ("any", True, [("friends_registered", 3, None, ""), ("action_count", 3, None, "review"),
                   ("points_earned", 600, 365, "")]),
    ("all", False, [("invitations_sent", 5, None, ""), ("points_balance", 300, None, ""),
                    ("holds", 1, 0, 1)]),
    ("any", True, [("friends_converted", 3, None, ""), ("action_count", 3, None, "social_follow"),
                   ("points_earned", 400, 90, "")]),
    ("all", False, [("holds", 1, 0, 3), ("referrals_validated", 2, None, ""),
                    ("points_balance", 400, None, "")]),
    ("any", True, [("referred_revenue", 500, None, ""), ("action_count", 4, None, "custom"),
                   ("invitations_sent", 15, 365, "")]),
    ("all", False, [("holds", 1, 0, 5), ("friends_converted", 2, 180, ""),
                    ("action_count", 1, None, "newsletter_signup")]),
    ("any", True, [("referrals_validated", 8, None, ""), ("points_balance", 1500, None, ""),
                   ("action_count", 10, None, "purchase")]),
    ("all", False, [("holds", 1, 0, 7), ("referred_revenue", 1500, None, ""),
                    ("points_earned", 150, 30, "")]),
    ("any", True, [("friends_registered", 40, None, ""), ("action_count", 3, None, "birthday"),
                   ("referrals_validated", 15, 365, "")]),
    ("all", False, [("holds", 1, 0, 9), ("referred_revenue", 4000, None, ""),
                    ("invitations_sent", 60, None, "")]),
]
# fmt: on


def define_badges(program: Any) -> None:
    """The 10 badges of 3 conditions, replacing any the program had (and their holders)."""
    from parrain.core.models import Badge, BadgeCondition

    Badge.objects.filter(program=program).delete()
    by_rank: dict[int, Badge] = {}
    for rank, (match, kept, conditions) in enumerate(BADGES, 1):
        badge = Badge.objects.create(
            program=program,
            rank=rank,
            names={"en": f"Level {rank}", "fr": f"Niveau {rank}"},
            match=match,
            keep_once_earned=kept,
        )
        by_rank[rank] = badge
        for kind, threshold, period, extra in conditions:
            holds = kind == "holds"
            BadgeCondition.objects.create(
                badge=badge,
                kind="holds_badge" if holds else kind,
                threshold=Decimal(threshold),
                period_days=period or None,
                action_kind="" if holds else extra,
                custom_kind="quiz" if extra == "custom" else "",
                required_badge=by_rank[extra] if holds else None,
            )


# Measures -------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timed_ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def measure_evaluation(program: Any, args: argparse.Namespace) -> None:
    from parrain.core.models import Contact
    from parrain.core.services.badges import evaluate

    rng = random.Random(11)  # nosec B311 # which contacts to time, no secret
    referrers = max(1, args.contacts // 10)
    populations = {
        "random contacts": [rng.randint(1, args.contacts) for _ in range(args.samples)],
        "random referrers": [rng.randint(1, referrers) for _ in range(args.samples)],
    }
    say(f"\n(a) badges.evaluate(contact), {args.samples} contacts each (target: median ≤ 5 ms)")
    say(f"  {'population':20} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'changes':>8}")
    for name, ids in populations.items():
        contacts = list(Contact.objects.filter(program=program, pk__in=ids))
        evaluate(contacts[0])  # warm-up: the definitions are read once per process
        timings, changes = [], 0
        for contact in contacts:
            started = time.perf_counter()
            changes += len(evaluate(contact))
            timings.append((time.perf_counter() - started) * 1000)
        say(
            f"  {name:20} {statistics.median(timings):10.2f} {percentile(timings, 0.95):8.2f}"
            f" {max(timings):8.2f} {changes:8}"
        )
    if args.explain:
        typical = max(1, referrers // 2)  # the busiest referrers have the lowest keys
        say(f"\nqueries of one evaluation of referrer #{typical}, with their plans:")
        explain(lambda: evaluate(Contact.objects.get(program=program, pk=typical)))


def explain(run: Callable[[], object]) -> None:
    """Every query of one evaluation with its plan, the slowest first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            lines = [row[0] for row in cursor.fetchall()]
            took = next((line for line in lines if line.startswith("Execution Time")), "")
            plans.append((float(took.split()[2]) if took else 0.0, query["sql"], lines))
    for took, sql, lines in sorted(plans, key=lambda plan: -plan[0]):
        say(f"\n-- {took:.2f} ms\n{sql}\n" + "\n".join(lines))


def recompute(definitions: list, ids: list[int]) -> tuple[float, int, int]:
    """The recompute task's own batch path over ``ids``: (seconds, awarded, lost)."""
    from parrain.core.services import badge_recompute

    size = badge_recompute.BATCH_SIZE
    started, awarded, lost = time.perf_counter(), 0, 0
    for n, start in enumerate(range(0, len(ids), size), 1):
        won, gone = badge_recompute.recompute_batch(definitions, ids[start : start + size])
        awarded, lost = awarded + won, lost + gone
        if n % 20 == 0:
            say(f"  {start + size:,}/{len(ids):,} contacts…")
    return time.perf_counter() - started, awarded, lost


def sample_batches(program: Any, args: argparse.Namespace) -> list[int]:
    """Contacts for the recompute: all of them, or whole batches spread evenly over the
    primary keys (the first keys are the busiest referrers, the last ones plain customers;
    a sample from one end would say nothing of the whole)."""
    from parrain.core.models import Contact
    from parrain.core.services.badge_recompute import BATCH_SIZE

    ids = Contact.objects.filter(program=program).order_by("pk").values_list("pk", flat=True)
    if not args.recompute_sample or args.recompute_sample >= args.contacts:
        return list(ids)
    batches = max(1, args.recompute_sample // BATCH_SIZE)
    step = args.contacts // batches
    sample: list[int] = []
    for n in range(batches):  # each from the middle of its stretch of keys
        sample += list(ids.filter(pk__gt=n * step + step // 2)[:BATCH_SIZE])
    return sample


def measure_recompute(program: Any, args: argparse.Namespace) -> None:
    from parrain.core.services import badges

    ids = sample_batches(program, args)
    definitions = badges.definitions(program.pk, fresh=True)
    scope = "all" if len(ids) == args.contacts else f"{len(ids):,} (batches spread over all)"
    say(f"\n(b) full recompute of {scope} contacts, in the task's batches (target: all ≤ 10 min)")
    say(f"  {'pass':34} {'contacts/s':>11} {'awarded':>8} {'lost':>6} {'all contacts':>13}")
    passes = (
        ("first (no badge held yet)", recompute(definitions, ids)),
        ("again (conditions unchanged)", recompute(definitions, ids)),
    )
    for name, (seconds, awarded, lost) in passes:
        rate = len(ids) / seconds
        say(
            f"  {name:34} {rate:11,.0f} {awarded:8,} {lost:6,} {args.contacts / rate / 60:9.1f} min"
        )
    if len(ids) < args.contacts:
        say(f"  (the last column is projected from the {len(ids):,} measured)")


def ingest(program: Any, prefix: str, count: int) -> float:
    from parrain.core.services.orders import OrderData, record_order

    started = time.perf_counter()
    for n in range(count):
        data = OrderData(
            external_id=f"{prefix}-{n}",
            email=f"{prefix}-{n}@bench.example",
            amount=Decimal("42.50"),
            currency="EUR",
        )
        record_order(program, data)
    return time.perf_counter() - started


def measure_ingestion(args: argparse.Namespace) -> None:
    from parrain.core.models import Program

    programs = {}
    for key in ("off", "on"):
        Program.objects.filter(slug=f"ingest-{key}").delete()
        programs[key] = Program.objects.create(
            name=f"Ingest {key}",
            slug=f"ingest-{key}",
            currency="EUR",
            loyalty_points_per_unit=Decimal("1"),
        )
    define_badges(programs["on"])
    per_round = max(1, args.orders // ROUNDS)
    ingest(programs["off"], "warm-off", 20)
    ingest(programs["on"], "warm-on", 20)
    rounds = iter(range(10**9))

    def rate(key: str) -> float:
        return per_round / ingest(programs[key], f"{key}-{next(rounds)}", per_round)

    rates = interleaved({"off": lambda: rate("off"), "on (10)": lambda: rate("on")}, ROUNDS)
    say(
        f"\n(c) record_order() for {per_round * ROUNDS:,} new customers per column, {ROUNDS} "
        "alternating rounds (Celery not eager, memory:// broker: request side only)"
    )
    say("  orders per second by badges; target: ratio on/off ≥ 0.8")
    ratio_table(rates, "off", 0.8, digits=1)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=env_int("BENCH_CONTACTS", 1_000_000))
    parser.add_argument(
        "--ledger", type=int, default=env_int("BENCH_LEDGER", 0), help="default 5 × contacts"
    )
    parser.add_argument("--samples", type=int, default=env_int("BENCH_SAMPLES", 200))
    parser.add_argument(
        "--recompute-sample",
        type=int,
        default=env_int("BENCH_RECOMPUTE_SAMPLE", 10_000),
        help="contacts to recompute (0: all)",
    )
    parser.add_argument("--orders", type=int, default=env_int("BENCH_ORDERS", 1000))
    parser.add_argument("--reload", action="store_true", help="reload even if already loaded")
    parser.add_argument("--explain", action="store_true", help="plans of one evaluation")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", action="store_true", help="keep the database this run made")
    where.add_argument("--database", default="", help="reuse this (kept) database, never drop it")
    args = parser.parse_args()
    if args.quick:
        vars(args).update(QUICK)
    args.ledger = args.ledger or args.contacts * 5
    return args


def main() -> None:
    args = parse()
    # memory:// broker: an evaluation is queued, never run inside the request (see (c)).
    with BenchRun(
        f"badges{'_quick' if args.quick else ''}",
        memory_broker=True,
        keep=args.keep,
        reuse=args.database,
    ) as run:
        say(load_average())
        args.database_name = run.name
        run.setup_django()
        if args.reload or not loaded(args):
            load(args)
        else:
            say("data already loaded (use --reload to load again)")
        measure(args)
        say(load_average())


def measure(args: argparse.Namespace) -> None:
    from parrain.core.models import Program

    program = Program.objects.get(slug=SLUG)
    define_badges(program)
    vacuum(args)
    measure_recompute(program, args)
    measure_evaluation(program, args)
    measure_ingestion(args)


if __name__ == "__main__":
    main()
