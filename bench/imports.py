"""Benchmark: importing contacts against PostgreSQL ``COPY`` of the same rows (issue 14).

    .venv/bin/python bench/imports.py [--rows 20000] [--rounds 3] [--batch 5000]
        [--paths csv,xlsx,api,oscar,floor] [--batches]

A run of its own (``bench/_harness.py``): a uniquely named database, migrated, dropped at
the end (only that one). The default is a quick run (20,000 rows, what ``make bench``
runs); the issue's figures are for ``--rows 200000``. Nothing is written into the
repository (the files go to a temporary folder).

``--rows`` contacts are generated (deterministic: emails, external ids, names, phones,
half customers with a first order date and a total spent, consents with their dates and
source, loyalty balances, tags) and written once as each path's input: a CSV file (``;``,
French dates and decimals), an XLSX file (dates and numbers as Excel stores them), the
server API's bulk requests (10,000 rows each) and the Oscar shop's users. Then, round after
round, in rotating order (``_harness.interleaved``):

* ``COPY`` of the same rows into a bare table (same columns, no index): the reference;
* the floor (``--paths …,floor``): the same rows already read, checked and merged,
  ``COPY``'d straight into the contact, audit, consent and loyalty tables in one
  transaction: what PostgreSQL must do to store what an import stores, and nothing else;
  no import path can beat its ratio;
* each path through the one import service into an empty program of its own: upload →
  mapping → confirm → the task's body for the files, ``POST …/contacts/bulk`` for the API,
  ``parrain_oscar_import`` for the shop; then the same input again into the same program
  (the re-import: nothing to write).

Each measure runs in a process of its own, forked from a lean parent, so its peak
resident size (``ru_maxrss``) is that path's alone. Reported per path: the median of the
per-round ratios COPY time / import time (target ≥ 0.3), the peak memory (target
< 300 MB), the last batch against the first (target ≤ 1.2) and the re-import's speed-up
(target ≥ 2).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle  # nosec B403 # our own child's answer, through our own pipe
import random
import resource
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import BenchRun, load_average, say  # noqa: E402

COPY_TARGET = 0.3
MEMORY_TARGET_MB = 300
DRIFT_TARGET = 1.2
REIMPORT_TARGET = 2.0
API_REQUEST = 10_000
TAGS = ["vip", "newsletter", "salon-2024", "b2b", "fidèle"]
FIRST = ["Camille", "Léa", "Hugo", "Zoé", "Louis", "Emma", "Jules", "Chloé", "Noah", "Inès"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def in_child(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``fn()`` in a forked process (its memory peak is its own); its answer."""
    from django.db import connections

    connections.close_all()  # the child opens its own
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        code = 0
        try:
            answer = fn()
            answer["peak_mb"] = peak_mb()
        except BaseException as exc:  # noqa: BLE001 - reported by the parent
            answer, code = {"error": repr(exc)[:2000]}, 1
        with os.fdopen(write, "wb") as out:
            pickle.dump(answer, out)
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as source:
        answer = pickle.load(source)  # nosec B301 # written by our own child just above
    os.waitpid(pid, 0)
    if "error" in answer:
        raise SystemExit(f"a measure failed: {answer['error']}")
    return answer


# The rows ----------------------------------------------------------------------------------


def ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def generate(count: int) -> Iterator[Any]:
    """``count`` parsed rows, the same for every run, one at a time (never all held)."""
    from parrain.core.importing.rows import ContactRow

    rng = random.Random(20261204)
    origin = datetime(2022, 1, 1, tzinfo=UTC)
    for n in range(count):
        customer = rng.random() < 0.5
        consent = rng.random() < 0.6
        first, last = rng.choice(FIRST), rng.choice(LAST)
        yield (
            ContactRow(
                row=n + 2,
                email=ascii(f"{first}.{last}.{n}@bench.example").lower(),
                external_id=f"C{n:07d}",
                first_name=first,
                last_name=last,
                phone=f"+336{n:08d}",
                language="fr" if n % 3 else "en",
                is_customer=customer,
                first_order_at=origin + timedelta(minutes=rng.randrange(1_500_000))
                if customer
                else None,
                total_spent=Decimal(rng.randrange(1000, 90000)) / 100 if customer else None,
                consent=rng.random() < 0.8 if consent else None,
                consent_at=origin + timedelta(minutes=rng.randrange(1_500_000))
                if consent
                else None,
                consent_source="Formulaire boutique" if consent else None,
                loyalty_points=rng.randrange(0, 2000) if rng.random() < 0.3 else None,
                tags=rng.sample(TAGS, rng.randrange(0, 3)) if rng.random() < 0.2 else [],
            )
        )


HEADERS = [
    "E-mail",
    "Identifiant client",
    "Prénom",
    "Nom",
    "Téléphone",
    "Langue",
    "Client",
    "Date de première commande",
    "Total dépensé",
    "Optin",
    "Date optin",
    "Source optin",
    "Points fidélité",
    "Tags",
]


def cells(row: Any) -> list[str]:
    def day(value: datetime | None) -> str:
        return value.strftime("%d/%m/%Y %H:%M") if value else ""

    return [
        row.email,
        row.external_id,
        row.first_name,
        row.last_name,
        row.phone,
        row.language,
        "oui" if row.is_customer else "non",
        day(row.first_order_at),
        str(row.total_spent).replace(".", ",") if row.total_spent is not None else "",
        "" if row.consent is None else ("oui" if row.consent else "non"),
        day(row.consent_at),
        row.consent_source or "",
        "" if row.loyalty_points is None else str(row.loyalty_points),
        ", ".join(row.tags),
    ]


# The reference: COPY ------------------------------------------------------------------------

BARE = """
CREATE TABLE bench_bare_contacts (
    email varchar(254), external_id varchar(120), first_name varchar(120),
    last_name varchar(120), phone varchar(20), language varchar(8), is_customer boolean,
    first_order_at timestamptz, total_spent numeric(12, 2), consent boolean,
    consent_at timestamptz, consent_source text, loyalty_points integer, tags jsonb
)
"""


def copy_bare(count: int) -> dict[str, Any]:
    from django.db import connection, transaction

    records = [
        (
            r.email,
            r.external_id,
            r.first_name,
            r.last_name,
            r.phone,
            r.language,
            r.is_customer,
            r.first_order_at,
            r.total_spent,
            r.consent,
            r.consent_at,
            r.consent_source,
            r.loyalty_points,
            json.dumps(r.tags),
        )
        for r in generate(count)
    ]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_contacts")
        cursor.execute(BARE)
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy("COPY bench_bare_contacts FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bare_contacts")
    return {"seconds": elapsed}


def copy_floor(count: int) -> dict[str, Any]:
    """What any import must have PostgreSQL store, and nothing else: the rows already read,
    checked and merged (outside the timing), ``COPY`` straight into the contact, audit,
    consent and loyalty tables (their indexes and foreign keys) in one transaction: no
    temporary table, no lookup, no per-batch commit. No import path can take less."""
    from django.db import connection, transaction
    from psycopg.types.json import Jsonb

    from parrain.core.emails import canonical_email
    from parrain.core.importing.engine import CREATED
    from parrain.core.models import AuditEvent, ConsentRecord, Contact, LoyaltyEntry

    program = new_program(f"bench-floor-{time.monotonic_ns()}")
    now = datetime.now(UTC)

    def table(model: Any, given: list[str]) -> tuple[str, list[Any]]:
        """``COPY`` of ``model``'s every column: ``given`` from each row, the others their
        field's default (what the ORM would send)."""
        fields = [f for f in model._meta.concrete_fields if f.attname not in given]
        rest = [f for f in fields if not f.primary_key]
        defaults = [f.get_default() for f in rest]
        defaults = [Jsonb(d) if isinstance(d, dict | list) else d for d in defaults]
        names = ", ".join([*given, *(f.column for f in rest)])
        return f"COPY {model._meta.db_table} ({names}) FROM STDIN", defaults

    contact_sql, contact_rest = table(
        Contact,
        ["id", "program_id", "email", "email_normalized", "email_canonical", "external_id",
         "first_name", "last_name", "phone", "language", "is_customer", "first_order_at",
         "total_spent", "consent_recontact", "consent_at", "consent_source", "tags",
         "created_at", "import_digest"],
    )  # fmt: skip
    audit_sql, audit_rest = table(
        AuditEvent, ["program_id", "at", "action", "actor", "contact_id", "data"]
    )
    consent_sql, consent_rest = table(
        ConsentRecord,
        ["program_id", "contact_id", "channel", "given", "at", "source", "actor", "created_at"],
    )
    loyalty_sql, loyalty_rest = table(
        LoyaltyEntry,
        ["program_id", "contact_id", "kind", "points", "occurred_at", "recorded_at", "source"],
    )
    rows = list(generate(count))
    contacts, audits, consents, loyalty = [], [], [], []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('parrain_contact', 'id')) "
            "FROM generate_series(1, %s)",
            [count],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    for pk, r in zip(ids, rows, strict=True):
        contacts.append(
            (pk, program.pk, r.email, r.email, canonical_email(r.email), r.external_id,
             r.first_name, r.last_name, r.phone, r.language, r.is_customer, r.first_order_at,
             r.total_spent, r.consent, r.consent_at, r.consent_source or "",
             Jsonb(r.tags), now, os.urandom(16), *contact_rest)
        )  # fmt: skip
        audits.append(
            (program.pk, now, CREATED, "bench", pk, Jsonb({"import_id": 1, "changed": ["email"]}),
             *audit_rest)
        )  # fmt: skip
        if r.consent is not None:
            consents.append(
                (program.pk, pk, "email", r.consent, r.consent_at, "import", "bench", now,
                 *consent_rest)
            )  # fmt: skip
        if r.loyalty_points:
            loyalty.append(
                (program.pk, pk, "import", r.loyalty_points, now, now, "import", *loyalty_rest)
            )
    start = time.perf_counter()
    marks = [start]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, records in (
            (contact_sql, contacts),
            (audit_sql, audits),
            (consent_sql, consents),
            (loyalty_sql, loyalty),
        ):
            with cursor.cursor.copy(sql) as copy:
                for record in records:
                    copy.write_row(record)
            marks.append(time.perf_counter())
    marks.append(time.perf_counter())  # the commit: the deferred foreign-key checks
    parts = ["contacts", "audit entries", "consent records", "loyalty lines", "commit"]
    steps = {name: b - a for name, a, b in zip(parts, marks[:-1], marks[1:], strict=True)}
    return {"seconds": marks[-1] - start, "steps": steps}


# The inputs, written once ------------------------------------------------------------------


def write_csv(folder: Path, count: int) -> Path:
    file = folder / "clients.csv"
    with file.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(cells(r) for r in generate(count))
    return file


def write_xlsx(folder: Path, count: int) -> Path:
    from openpyxl import Workbook

    file = folder / "clients.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Clients")
    sheet.append(HEADERS)
    for r in generate(count):
        line: list[Any] = cells(r)
        # As Excel stores them: dates and numbers as such, not text.
        line[7] = r.first_order_at.replace(tzinfo=None) if r.first_order_at else None
        line[8] = float(r.total_spent) if r.total_spent is not None else None
        line[10] = r.consent_at.replace(tzinfo=None) if r.consent_at else None
        line[12] = r.loyalty_points
        sheet.append(line)
    book.save(file)
    return file


def write_api_bodies(folder: Path, count: int) -> Path:
    """One request body a line, ``API_REQUEST`` rows each."""
    file = folder / "bulk.jsonl"
    with file.open("w", encoding="utf-8") as out:
        rows: list[dict[str, Any]] = []
        for r in generate(count):
            rows.append(
                {
                    "email": r.email,
                    "external_id": r.external_id,
                    "first_name": r.first_name,
                    "last_name": r.last_name,
                    "phone": r.phone,
                    "language": r.language,
                    "is_customer": r.is_customer,
                    **({} if r.consent is None else {"consent_recontact": r.consent}),
                }
            )
            if len(rows) == API_REQUEST:
                out.write(json.dumps({"rows": rows}) + "\n")
                rows = []
        if rows:
            out.write(json.dumps({"rows": rows}) + "\n")
    return file


def copy_oscar_users(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    table = get_user_model()._meta.db_table
    now = datetime.now(UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
        with cursor.cursor.copy(
            f"COPY {table} (username, email, password, first_name, last_name, is_staff, "
            "is_active, is_superuser, date_joined) FROM STDIN"
        ) as copy:
            for r in generate(count):
                copy.write_row(
                    (
                        r.external_id,
                        r.email,
                        "!",
                        r.first_name,
                        r.last_name,
                        False,
                        True,
                        False,
                        now,
                    )
                )


# The paths ---------------------------------------------------------------------------------


def new_program(slug: str) -> Any:
    from parrain.core.models import Program

    return Program.objects.create(
        name=slug, slug=slug, currency="EUR", landing_url="https://shop.example/parrainage"
    )


class Batches:
    """When each committed batch ended: after its commit (which runs the deferred
    foreign-key checks, 60 to 80 ms a 5,000-row batch) when the batch is a transaction of
    its own, else when the services' counters are written (they are written last). Marked
    at the counters alone, each batch's commit fell into the next batch: the first batch
    looked a commit cheaper than the others (Oscar's last / first 1.2 to 1.3, flat from
    the second batch on)."""

    def __init__(self) -> None:
        from parrain.core.services import contact_imports

        self.ends: list[float] = []
        self.module = contact_imports
        for name in ("_count", "_count_rows"):
            original = getattr(contact_imports, name)
            setattr(contact_imports, name, self.wrap(original))

    def wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        from django.db import connection, transaction

        def counted(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            if connection.in_atomic_block and not connection.savepoint_ids:
                transaction.on_commit(self.mark)  # the batch's own transaction
            else:
                self.mark()  # inside a caller's transaction (the API's request)
            return result

        return counted

    def mark(self) -> None:
        self.ends.append(time.perf_counter())

    def times(self, start: float) -> list[float]:
        marks = [start, *self.ends]
        return [b - a for a, b in zip(marks, marks[1:], strict=False)]


def file_import(program: Any, file: Path) -> Any:
    """Upload → mapping (the guessed one) → confirm → the task's body."""
    from parrain.core.services import contact_imports

    with file.open("rb") as handle:
        contact_import = contact_imports.start(program, handle, file.name, actor="bench")
    contact_imports.set_mapping(contact_import, contact_import.mapping, actor="bench")
    contact_imports.confirm(contact_import, actor="bench")
    done = contact_imports.run(contact_import.pk)
    if done.status != "done":
        raise RuntimeError(f"{file.name}: {done.status} {done.failure[:300]}")
    return done


def api_import(program: Any, bodies: Path) -> None:
    from django.test import Client

    _, key = program.create_api_key(f"bench-{time.monotonic_ns()}")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/programs/{program.slug}/contacts/bulk"
    with bodies.open(encoding="utf-8") as lines:
        for body in lines:
            response = client.post(url, body, content_type="application/json")
            if response.status_code not in (200, 202):
                raise RuntimeError(f"bulk API: {response.status_code} {response.content[:300]!r}")


def oscar_import(program: Any, batch: int) -> None:
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        call_command(
            "parrain_oscar_import",
            program=program.slug,
            batch_size=batch,
            no_orders=True,
            stdout=quiet,
        )


def measured(name: str, run_once: Callable[[Any], None]) -> Callable[[], dict[str, Any]]:
    """A child's work: a new program, the import timed (with its batches), then again."""

    def work() -> dict[str, Any]:
        slug = f"bench-{name}-{time.monotonic_ns()}"
        program = new_program(slug)
        batches = Batches()
        start = time.perf_counter()
        run_once(program)
        first = time.perf_counter() - start
        times = batches.times(start)
        start = time.perf_counter()
        run_once(program)
        again = time.perf_counter() - start
        from parrain.core.models import Contact

        return {
            "seconds": first,
            "again": again,
            "batches": times,
            "contacts": Contact.objects.filter(program=program).count(),
        }

    return work


# Main --------------------------------------------------------------------------------------


def report(
    name: str,
    results: list[dict[str, Any]],
    copies: list[float],
    count: int,
    show_batches: bool = False,
) -> None:
    ratios = [copy / r["seconds"] for copy, r in zip(copies, results, strict=True)]
    ratio = statistics.median(ratios)
    seconds = statistics.median(r["seconds"] for r in results)
    peak = max(r["peak_mb"] for r in results)
    drifts = [r["batches"][-1] / r["batches"][0] for r in results if len(r["batches"]) > 1]
    drift = statistics.median(drifts) if drifts else 1.0
    speedup = statistics.median(r["seconds"] / r["again"] for r in results)
    say(
        f"  {name:<13}{seconds:8.2f} s {count / seconds:9,.0f} rows/s  "
        f"({results[0]['contacts']:,} contacts)"
    )
    verdict(f"ratio COPY / import {ratio:.2f}", ratio >= COPY_TARGET, f"≥ {COPY_TARGET}")
    verdict(f"peak memory {peak:.0f} MB", peak < MEMORY_TARGET_MB, f"< {MEMORY_TARGET_MB} MB")
    verdict(f"last batch / first {drift:.2f}", drift <= DRIFT_TARGET, f"≤ {DRIFT_TARGET}")
    verdict(f"re-import {speedup:.1f} × faster", speedup >= REIMPORT_TARGET, f"≥ {REIMPORT_TARGET}")
    if show_batches:
        for r in results:
            say("      batches (s): " + " ".join(f"{t:.2f}" for t in r["batches"]))


def verdict(what: str, ok: bool, target: str) -> None:
    say(f"      {what:<32} target {target:<9} {'OK' if ok else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--paths", default="csv,xlsx,api,oscar,floor")
    parser.add_argument("--batches", action="store_true", help="print each batch's time")
    args = parser.parse_args()
    chosen = args.paths.split(",")

    with BenchRun("imports", extra_settings=f"PARRAIN_IMPORT_BATCH = {args.batch}") as run:
        say("migrating…")
        run.migrate_apart()
        run.setup_django(migrate=False)
        with tempfile.TemporaryDirectory(prefix="parrain-bench-imports-") as name:
            folder = Path(name)
            say(f"writing the inputs ({args.rows:,} rows)…")
            csv_file = write_csv(folder, args.rows) if "csv" in chosen else None
            xlsx_file = write_xlsx(folder, args.rows) if "xlsx" in chosen else None
            bodies = write_api_bodies(folder, args.rows) if "api" in chosen else None
            if "oscar" in chosen:
                copy_oscar_users(args.rows)
            paths: dict[str, Callable[[Any], None]] = {
                "CSV file": lambda program: file_import(program, csv_file),
                "XLSX file": lambda program: file_import(program, xlsx_file),
                "bulk API": lambda program: api_import(program, bodies),
                "Oscar import": lambda program: oscar_import(program, args.batch),
            }
            keys = {"CSV file": "csv", "XLSX file": "xlsx", "bulk API": "api"}
            keys["Oscar import"] = "oscar"
            results: dict[str, list[dict[str, Any]]] = {"COPY": []}
            tasks: dict[str, Callable[[], float]] = {
                "COPY": lambda: record("COPY", in_child(lambda: copy_bare(args.rows)))
            }
            if "floor" in chosen:
                results["floor"] = []
                tasks["floor"] = lambda: record("floor", in_child(lambda: copy_floor(args.rows)))

            def record(name: str, answer: dict[str, Any]) -> float:
                results[name].append(answer)
                return args.rows / answer["seconds"]

            for name, fn in paths.items():
                if keys[name] in chosen:
                    results[name] = []
                    work = measured(keys[name], fn)
                    tasks[name] = lambda name=name, work=work: record(name, in_child(work))
            say(f"{args.rounds} rounds, batches of {args.batch:,}; {load_average()}")
            for round_ in range(args.rounds):
                names = list(tasks)
                shift = round_ % len(names)
                for name in names[shift:] + names[:shift]:
                    tasks[name]()
                say(f"  round {round_ + 1} done; {load_average()}")
        copies = [r["seconds"] for r in results["COPY"]]
        say(
            f"COPY into a bare table: {statistics.median(copies):.2f} s "
            f"({args.rows / statistics.median(copies):,.0f} rows/s, median)"
        )
        if "floor" in results:
            floors = [r["seconds"] for r in results["floor"]]
            ratio = statistics.median(c / f for c, f in zip(copies, floors, strict=True))
            say(
                f"The writes alone (COPY straight into the contact, audit, consent and "
                f"loyalty tables): {statistics.median(floors):.2f} s, ratio COPY / writes "
                f"{ratio:.2f}: no import path can do better than this ratio"
            )
            steps = results["floor"][0]["steps"]
            say("    " + ", ".join(f"{name} {time:.2f} s" for name, time in steps.items()))
        for name, answers in results.items():
            if name not in ("COPY", "floor"):
                report(name, answers, copies, args.rows, args.batches)
        say(load_average())


if __name__ == "__main__":
    main()
