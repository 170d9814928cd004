"""Benchmark: the whole dashboard page, and its figures alone, against one ``count(*)``
over the invitations of the same range, at several sizes and for 90 and 366 days.

    .venv/bin/python bench/stats.py [--sizes 1000000,3000000] [--reload] [--explain]

Uses the local PostgreSQL (127.0.0.1:5432, user postgres) and one database per size,
``parrain_bench_stats_<size>``, created (and marked as the bench's own with a comment) and
migrated when missing; a database of that name the bench did not create is refused, and
none is ever dropped. One program is bulk-loaded with COPY (two years of invitations with
the facts ``Invitation.save`` writes, referrals in every state, orders with refunds), then
vacuumed and analysed. A later run reuses the data unless ``--reload`` is given.

The page is the Django admin dashboard (the same component as the Oscar and Wagtail ones)
fetched through Django's test client: every query it runs and its rendering. Each round
times the baseline, the figures and the page side by side; the ratio printed is the median
of the per-round ratios (other jobs share the CPUs: interleaving spreads their load evenly).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = "host=127.0.0.1 port=5432 user=postgres"
SPAN_DAYS = 730
ROUNDS = 7
CHUNK = 100_000
CHANNELS = ["email", "sms", "whatsapp", "facebook", "link", "qr"]
# status -> (weight, reached conversion, reached validation)
STATUSES = {
    "invited": (20, False, False),
    "registered": (30, False, False),
    "review": (3, True, False),
    "converted": (15, True, False),
    "validated": (10, True, True),
    "rewarded": (15, True, True),
    "cancelled": (7, True, False),
}


def say(message: str) -> None:
    print(message, flush=True)


MARK = "made by parrain bench/stats.py"


def db_name(size: int) -> str:
    return f"parrain_bench_stats_{size}"


def ensure_database(name: str) -> None:
    with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row is None:
            conn.execute(f"CREATE DATABASE {name}")
            conn.execute(f"COMMENT ON DATABASE {name} IS '{MARK}'")
            say(f"created database {name}")
        elif row[0] != MARK:
            sys.exit(f"{name} exists and was not made by this bench: not touching it")


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    os.environ["PARRAIN_DB"] = "postgres"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def use_database(name: str) -> bool:
    """Migrates it; says whether any migration ran (a new one may fill tables: vacuum)."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    connection.close()
    connection.settings_dict["NAME"] = name
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if pending:
        say(f"migrated ({len(pending)} migrations) in {time.perf_counter() - started:.1f}s")
    return bool(pending)


class Loader:
    """Generates one program's rows and streams them into PostgreSQL with COPY."""

    def __init__(self, conn: psycopg.Connection, program_id: int, invitations: int, orders: int):
        self.conn, self.program_id = conn, program_id
        self.rng = random.Random(20250101)
        self.invitations, self.orders = invitations, orders
        self.referrers = max(1, self.invitations // 20)
        self.referees = max(1, self.invitations * 4 // 5)
        self.customers = max(1, self.orders // 2)
        self.origin = datetime.now().astimezone() - timedelta(days=SPAN_DAYS)
        self.issued: list[datetime] = []
        self.referrer_of: list[int] = []

    def moment(self) -> datetime:
        return self.origin + timedelta(seconds=self.rng.randrange(SPAN_DAYS * 86400))

    def copy(self, table: str, columns: str, rows: Iterator[str], total: int) -> None:
        started, done = time.perf_counter(), 0
        with self.conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for done, row in enumerate(rows, 1):
                buffer.write(row)
                if done % CHUNK == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
                    say(f"  {table}: {done:,}/{total:,}")
            copy.write(buffer.getvalue())
        say(f"  {table}: {done:,} rows in {time.perf_counter() - started:.1f}s")

    def contact_rows(self, consent: dict[int, bool]) -> Iterator[str]:
        created = self.origin.isoformat()
        total = self.referrers + self.referees + self.customers
        for pk in range(1, total + 1):
            email = f"c{pk}@bench.example"
            code = f"B{pk}" if pk <= self.referrers else r"\N"
            answer = consent.get(pk)
            flag = r"\N" if answer is None else ("t" if answer else "f")
            # phone, names, language, is_customer, source, share name, tags
            empty_defaults = "\t\t\t\t\tf\t\t\t[]"
            yield (
                f"{pk}\t{self.program_id}\t{email}\t{email}\t{email}\t{code}\t{flag}\t{created}"
                f"{empty_defaults}\n"
            )

    def draw_invitations(self) -> None:
        """(referrer, referee, issued) of every invitation, in id order."""
        first_referee = self.referrers + 1
        self.drawn: list[tuple[int, int, datetime]] = []
        for n in range(self.invitations):
            referrer = 1 + int(self.referrers * self.rng.random() ** 2)
            referee = first_referee + (
                n if n < self.referees else self.rng.randrange(self.referees)
            )
            issued = self.moment()
            if n < self.referees:
                self.issued.append(issued)
                self.referrer_of.append(referrer)
            self.drawn.append((referrer, referee, issued))

    def previous(self, person: int) -> list[datetime | None]:
        """Per invitation, the same person's previous invitation's time (the facts that
        ``Invitation.save`` writes, see core/invitation_facts.py)."""
        last: dict[int, datetime] = {}
        prev: list[datetime | None] = [None] * len(self.drawn)
        for n in sorted(range(len(self.drawn)), key=lambda n: self.drawn[n][2]):
            who = self.drawn[n][person]
            prev[n] = last.get(who)
            last[who] = self.drawn[n][2]
        return prev

    def invitation_rows(self, converted: set[int], consent: dict[int, bool]) -> Iterator[str]:
        """Written with what ``Invitation.save`` and ``Contact.save`` would have copied:
        the previous invitations' times, the referee's conversion and consent."""
        prev_referrer, prev_referee = self.previous(0), self.previous(1)

        def at(moment: datetime | None) -> str:
            return moment.isoformat() if moment else r"\N"

        for n, (referrer, referee, issued) in enumerate(self.drawn):
            channel = CHANNELS[n % len(CHANNELS)]
            answer = consent.get(referee)
            flag = r"\N" if answer is None else ("t" if answer else "f")
            yield (
                f"{n + 1}\t{self.program_id}\t{referrer}\t{referee}\t{channel}\t"
                f"{issued.isoformat()}\t{{}}\t{at(prev_referrer[n])}\t{at(prev_referee[n])}\t"
                f"{'t' if referee in converted else 'f'}\t{flag}\n"
            )

    def referral_plan(self) -> list[tuple[int, str, datetime | None, datetime | None]]:
        """(referee index, status, converted_at, validated_at) for 30% of the referees."""
        names, weights = list(STATUSES), [w for w, _, _ in STATUSES.values()]
        plan = []
        for index in self.rng.sample(range(self.referees), k=self.referees * 3 // 10):
            status = self.rng.choices(names, weights)[0]
            _, converts, validates = STATUSES[status]
            converted = self.issued[index] + timedelta(days=self.rng.randint(1, 20))
            plan.append(
                (
                    index,
                    status,
                    converted if converts else None,
                    converted + timedelta(days=14) if validates else None,
                )
            )
        return plan

    def referral_rows(self, plan: list, order_of: dict[int, int]) -> Iterator[str]:
        for pk, (index, status, converted, validated) in enumerate(plan, 1):
            referee = self.referrers + 1 + index
            invited = self.issued[index]
            yield (
                "\t".join(
                    [
                        str(pk),
                        str(self.program_id),
                        str(self.referrer_of[index]),
                        str(referee),
                        str(index + 1),
                        status,
                        invited.isoformat(),
                        (invited + timedelta(hours=2)).isoformat()
                        if status != "invited"
                        else r"\N",
                        converted.isoformat() if converted else r"\N",
                        validated.isoformat() if validated else r"\N",
                        str(order_of[pk]) if pk in order_of else r"\N",
                        "",
                        "",
                        "",
                    ]
                )
                + "\n"
            )

    def order_rows(self, plan: list, order_of: dict[int, int]) -> Iterator[str]:
        first_customer = self.referrers + self.referees + 1
        conversions = [(ref, row) for ref, row in enumerate(plan, 1) if row[2] is not None]
        for pk in range(1, self.orders + 1):
            if pk <= len(conversions):
                referral, (index, _, placed, _) = conversions[pk - 1]
                contact, referral_id = self.referrers + 1 + index, str(referral)
                channel = CHANNELS[index % len(CHANNELS)]  # its invitation's (index + 1)
                order_of[referral] = pk
            else:
                contact = first_customer + self.rng.randrange(self.customers)
                placed, referral_id, channel = self.moment(), r"\N", r"\N"
            amount = Decimal(self.rng.randrange(1000, 30000)) / 100
            roll = self.rng.random()
            refunded = amount if roll < 0.05 else (amount / 2 if roll < 0.1 else Decimal(0))
            yield (
                f"{pk}\t{self.program_id}\tB-{pk}\t{contact}\t{amount}\tEUR\t{placed.isoformat()}\t"
                f"{referral_id}\t{refunded:.2f}\t{placed.isoformat()}\t\t\t{channel}\n"
            )

    def load(self) -> None:
        with self.conn.transaction():
            self.conn.execute("SET LOCAL session_replication_role = replica")  # skip FK checks
            self.draw_invitations()
            plan = self.referral_plan()
            converted = {self.referrers + 1 + row[0] for row in plan if row[2] is not None}
            consent = {
                self.referrers + 1 + index: self.rng.random() < 0.6
                for index, status, _, _ in plan
                if status != "invited"
            }
            self.copy(
                "parrain_invitation",
                INVITATION_COLUMNS,
                self.invitation_rows(converted, consent),
                self.invitations,
            )
            total = self.referrers + self.referees + self.customers
            self.copy("parrain_contact", CONTACT_COLUMNS, self.contact_rows(consent), total)
            order_of: dict[int, int] = {}
            self.copy("parrain_order", ORDER_COLUMNS, self.order_rows(plan, order_of), self.orders)
            self.copy(
                "parrain_referral", REFERRAL_COLUMNS, self.referral_rows(plan, order_of), len(plan)
            )
            for table in ("contact", "invitation", "referral", "order"):
                self.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('parrain_{table}', 'id'),"
                    f" (SELECT max(id) FROM parrain_{table}))"
                )


CONTACT_COLUMNS = (
    "id, program_id, email, email_normalized, email_canonical, referrer_code, consent_recontact,"
    " created_at, phone, first_name, last_name, language, is_customer, consent_source,"
    " share_name, tags"
)
INVITATION_COLUMNS = (
    "id, program_id, referrer_id, referee_id, channel, issued_at, referrer_terms,"
    " prev_referrer_at, prev_referee_at, referee_converted, referee_consent"
)
REFERRAL_COLUMNS = (
    "id, program_id, referrer_id, referee_id, invitation_id, status, invited_at, registered_at,"
    " converted_at, validated_at, order_id, status_before_review, review_reason, cancel_reason"
)
ORDER_COLUMNS = (
    "id, program_id, external_id, contact_id, amount, currency, placed_at, referral_id,"
    " refunded_amount, recorded_at, welcome_code, referral_code, channel"
)


def loaded(invitations: int, orders: int) -> bool:
    from parrain.core.models import Invitation, Order, Program

    program = Program.objects.filter(slug="bench").first()
    return bool(
        program
        and Invitation.objects.filter(program=program).count() == invitations
        and Order.objects.filter(program=program).count() == orders
    )


def load(name: str, invitations: int, orders: int) -> None:
    from parrain.core import day_summary
    from parrain.core.models import Program

    say(f"loading {invitations:,} invitations and {orders:,} orders into {name}…")
    started = time.perf_counter()
    with psycopg.connect(f"{PG} dbname={name}") as conn:
        conn.execute("TRUNCATE parrain_program RESTART IDENTITY CASCADE")
        conn.commit()
        program = Program.objects.create(name="Bench", slug="bench")
        Loader(conn, program.pk, invitations, orders).load()
    say(f"loaded in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    day_summary.rebuild(program.pk)  # the COPY ran with the triggers off
    say(f"daily summary rebuilt in {time.perf_counter() - started:.1f}s")


def vacuum(name: str) -> None:
    """Fresh statistics and visibility map (index-only scans), also after a new migration."""
    started = time.perf_counter()
    with psycopg.connect(f"{PG} dbname={name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"vacuum analyze: {time.perf_counter() - started:.1f}s")


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def count_range(program_id: int, since: datetime, until: datetime) -> Callable[[], int]:
    """The baseline: one ``count(*)`` over the invitations of the range."""
    from django.db import connection

    def run() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM parrain_invitation"
                " WHERE program_id = %s AND issued_at >= %s AND issued_at < %s",
                [program_id, since, until],
            )
            return cursor.fetchone()[0]

    return run


def page_client() -> tuple[object, str]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client, reverse("admin:parrain_dashboard")


def explain(run: Callable[[], object]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            say("\n".join(row[0] for row in cursor.fetchall()) + "\n")


def measure(size: int, days: int, args: argparse.Namespace) -> float:
    """Times baseline, figures and page side by side; returns the median page ratio."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from parrain.core.models import Program
    from parrain.core.services import stats

    program = Program.objects.get(slug="bench")
    end = timezone.localdate()
    start = end - timedelta(days=days - 1)
    span = stats.Span.of(start, end)
    baseline = count_range(program.pk, span.since, span.until)
    figures = lambda: stats.dashboard(program, start, end)  # noqa: E731
    client, url = page_client()
    query = {"program": program.slug, "start": start.isoformat(), "end": end.isoformat()}

    def page() -> None:
        response = client.get(url, query)
        if response.status_code != 200:
            raise RuntimeError(f"dashboard page answered {response.status_code}")

    if args.explain:
        explain(page)
    with CaptureQueriesContext(connection) as captured:
        page()
    rows = baseline()
    say(
        f"{size:,} invitations, {days} days: {rows:,} invitations in the range;"
        f" the page runs {len(captured.captured_queries)} queries"
    )
    say(f"  figures: {figures().model_dump(exclude={'start', 'end'})}")
    for work in (baseline, figures, page):  # warm-up
        work()
    results: dict[str, list[float]] = {"count": [], "figures": [], "page": []}
    for _ in range(args.rounds):
        count_time = timed(baseline)
        results["count"].append(count_time)
        results["figures"].append(timed(figures) / count_time)
        results["page"].append(timed(page) / count_time)
    count_ms = statistics.median(results["count"]) * 1000
    fig, whole = statistics.median(results["figures"]), statistics.median(results["page"])
    say(f"  count(*) over the range: {count_ms:.1f} ms (median of {args.rounds} rounds)")
    say(f"  figures alone: {fig:.2f} × count (target ≤ 3), ≈ {fig * count_ms:.0f} ms")
    say(f"  whole page:    {whole:.2f} × count (target ≤ 5), ≈ {whole * count_ms:.0f} ms")
    return whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000000", help="invitation counts, comma-separated")
    parser.add_argument("--days", default="90,366", help="range lengths, comma-separated")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--reload", action="store_true", help="reload even if already loaded")
    parser.add_argument("--load-only", action="store_true", help="load, do not measure")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    args = parser.parse_args()
    setup_django()
    for size in [int(n) for n in args.sizes.split(",")]:
        orders = size // 5
        name = db_name(size)
        ensure_database(name)
        migrated = use_database(name)
        if args.reload or not loaded(size, orders):
            load(name, size, orders)
            vacuum(name)
        else:
            say(f"{name}: data already loaded (use --reload to load again)")
            if migrated:
                vacuum(name)
        if args.load_only:
            continue
        ratios = [measure(size, int(days), args) for days in args.days.split(",")]
        say(f"page ratio at {size}: {max(ratios):.2f}")


if __name__ == "__main__":
    main()
