"""Benchmark: the dashboard figures of a 90-day range against one ``SELECT count(*)``.

    .venv/bin/python bench/stats.py [--invitations 1000000] [--orders 200000] [--reload]

Uses the local PostgreSQL (127.0.0.1:5432, user postgres) and its own database
``parrain_bench``, created and migrated when missing. One program is bulk-loaded with COPY
(two years of invitations, referrals in every state, orders with refunds), then vacuumed
and analysed. A later run reuses the data unless ``--reload`` is given. Nothing is written
into the repository.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "parrain_bench"
PG = "host=127.0.0.1 port=5432 user=postgres"
SPAN_DAYS = 730
RANGE_DAYS = 90
ROUNDS = 5
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


def ensure_database() -> None:
    with psycopg.connect(f"{PG} dbname=test", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f"CREATE DATABASE {DB_NAME}")
            say(f"created database {DB_NAME}")


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    os.environ["PARRAIN_DB"] = "postgres"
    os.environ["PGDATABASE"] = DB_NAME
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


class Loader:
    """Generates one program's rows and streams them into PostgreSQL with COPY."""

    def __init__(self, conn: psycopg.Connection, program_id: int, args: argparse.Namespace):
        self.conn, self.program_id = conn, program_id
        self.rng = random.Random(20250101)
        self.invitations, self.orders = args.invitations, args.orders
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

    def invitation_rows(self) -> Iterator[str]:
        first_referee = self.referrers + 1
        for n in range(self.invitations):
            referrer = 1 + int(self.referrers * self.rng.random() ** 2)
            referee = first_referee + (
                n if n < self.referees else self.rng.randrange(self.referees)
            )
            issued = self.moment()
            if n < self.referees:
                self.issued.append(issued)
                self.referrer_of.append(referrer)
            channel = CHANNELS[n % len(CHANNELS)]
            yield (
                f"{n + 1}\t{self.program_id}\t{referrer}\t{referee}\t{channel}\t"
                f"{issued.isoformat()}\t{{}}\n"
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
                order_of[referral] = pk
            else:
                contact = first_customer + self.rng.randrange(self.customers)
                placed, referral_id = self.moment(), r"\N"
            amount = Decimal(self.rng.randrange(1000, 30000)) / 100
            roll = self.rng.random()
            refunded = amount if roll < 0.05 else (amount / 2 if roll < 0.1 else Decimal(0))
            yield (
                f"{pk}\t{self.program_id}\tB-{pk}\t{contact}\t{amount}\tEUR\t{placed.isoformat()}\t"
                f"{referral_id}\t{refunded:.2f}\t{placed.isoformat()}\t\t\n"
            )

    def load(self) -> None:
        with self.conn.transaction():
            self.conn.execute("SET LOCAL session_replication_role = replica")  # skip FK checks
            self.copy(
                "parrain_invitation", INVITATION_COLUMNS, self.invitation_rows(), self.invitations
            )
            plan = self.referral_plan()
            consent = {
                self.referrers + 1 + index: self.rng.random() < 0.6
                for index, status, _, _ in plan
                if status != "invited"
            }
            total = self.referrers + self.referees + self.customers
            self.copy("parrain_contact", CONTACT_COLUMNS, self.contact_rows(consent), total)
            # What Contact.save() does when a referee answers: copy the consent onto their
            # invitations (the loader writes rows directly, so it does it in one statement).
            self.conn.execute(
                "UPDATE parrain_invitation i SET referee_consent = c.consent_recontact"
                " FROM parrain_contact c"
                " WHERE c.id = i.referee_id AND c.consent_recontact IS NOT NULL"
            )
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
INVITATION_COLUMNS = "id, program_id, referrer_id, referee_id, channel, issued_at, referrer_terms"
REFERRAL_COLUMNS = (
    "id, program_id, referrer_id, referee_id, invitation_id, status, invited_at, registered_at,"
    " converted_at, validated_at, order_id, status_before_review, review_reason, cancel_reason"
)
ORDER_COLUMNS = (
    "id, program_id, external_id, contact_id, amount, currency, placed_at, referral_id,"
    " refunded_amount, recorded_at, welcome_code, referral_code"
)


def loaded(args: argparse.Namespace) -> bool:
    from parrain.core.models import Invitation, Order, Program

    program = Program.objects.filter(slug="bench").first()
    return bool(
        program
        and Invitation.objects.filter(program=program).count() == args.invitations
        and Order.objects.filter(program=program).count() == args.orders
    )


def load(args: argparse.Namespace) -> None:
    from parrain.core.models import Program

    say(f"loading {args.invitations:,} invitations and {args.orders:,} orders…")
    started = time.perf_counter()
    with psycopg.connect(f"{PG} dbname={DB_NAME}") as conn:
        conn.execute("TRUNCATE parrain_program RESTART IDENTITY CASCADE")
        conn.commit()
        program = Program.objects.create(name="Bench", slug="bench")
        Loader(conn, program.pk, args).load()
    say(f"loaded in {time.perf_counter() - started:.1f}s")


def vacuum() -> None:
    """Fresh statistics and visibility map (index-only scans), also after a new migration."""
    started = time.perf_counter()
    with psycopg.connect(f"{PG} dbname={DB_NAME}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"vacuum analyze: {time.perf_counter() - started:.1f}s")


def best_of(work: Callable[[], object]) -> float:
    work()  # warm-up
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def count_invitations() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM parrain_invitation")
        return cursor.fetchone()[0]


def explain(run: Callable[[], object]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            say("\n".join(row[0] for row in cursor.fetchall()) + "\n")


def measure(args: argparse.Namespace) -> None:
    from django.utils import timezone

    from parrain.core.models import Program
    from parrain.core.services.stats import dashboard

    program = Program.objects.get(slug="bench")
    end = timezone.localdate()
    start = end - timedelta(days=RANGE_DAYS - 1)
    run = lambda: dashboard(program, start, end)  # noqa: E731
    if args.explain:
        explain(run)
    figures = run()
    say(f"dashboard {start} → {end}: {figures.model_dump(exclude={'start', 'end'})}")
    dashboard_time = best_of(run)
    count_time = best_of(count_invitations)
    say(f"invitations in table: {count_invitations():,}")
    say(f"dashboard figures ({RANGE_DAYS} days), best of {ROUNDS}: {dashboard_time * 1000:.1f} ms")
    say(f"SELECT count(*) FROM parrain_invitation, best of {ROUNDS}: {count_time * 1000:.1f} ms")
    say(f"ratio: {dashboard_time / count_time:.2f} (target ≤ 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invitations", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--reload", action="store_true", help="reload even if already loaded")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    args = parser.parse_args()
    ensure_database()
    setup_django()
    if args.reload or not loaded(args):
        load(args)
    else:
        say("data already loaded (use --reload to load again)")
    vacuum()
    measure(args)


if __name__ == "__main__":
    main()
