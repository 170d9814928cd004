"""Benchmark: importing contacts against PostgreSQL ``COPY`` of the same rows (issue 14).

    .venv/bin/python bench/imports.py [--rows 200000] [--batch 5000] [--only engine|paths]
        [--keep | --database NAME]

Uses the local PostgreSQL (127.0.0.1:5432, user postgres) and a database of its own,
``parrain_bench_imports_<pid>``: created and migrated at the start, dropped at the end unless
``--keep`` is given; ``--database NAME`` reuses a kept one (never dropped). Nothing is written
into the repository (the CSV and XLSX files go to a temporary folder). The default is a quick
run (20,000 rows, what ``make bench`` runs); the issue's figures are for ``--rows 200000``.

``--rows`` contacts are generated once (deterministic: emails, external ids, names, phones,
half customers with a first order date and a total spent, consents with their dates and
source, loyalty balances, tags) as parsed ``ContactRow``s, then, side by side in one run:

(a) ``COPY`` of those rows into a bare table (same columns, no index): the reference.
(b) ``engine.apply_batch`` in batches of ``--batch`` (each committed) into an empty program:
    ratio COPY / import (target ≥ 0.3), first and last batch (target last ≤ 1.2 × first),
    then the same rows again (re-import: nothing to write, target ≥ 2 × faster).
(c) The one import service (core/services/contact_imports.py) by each path: a CSV file, an
    XLSX file, the server API's bulk endpoint (requests of 10,000 rows) and the Oscar
    import; each into a program of its own, ratio COPY / path (target ≥ 0.3). A path whose
    service is not there yet prints "not available yet".

Memory: the process's peak resident size (``ru_maxrss``, target < 300 MB) after each part.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = "host=127.0.0.1 port=5432 user=postgres"
COPY_TARGET = 0.3
MEMORY_TARGET_MB = 300
DRIFT_TARGET = 1.2
REIMPORT_TARGET = 2.0
API_REQUEST = 10_000
TAGS = ["vip", "newsletter", "salon-2024", "b2b", "fidèle"]
FIRST = ["Camille", "Léa", "Hugo", "Zoé", "Louis", "Emma", "Jules", "Chloé", "Noah", "Inès"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]


def say(message: str) -> None:
    print(message, flush=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# The database ------------------------------------------------------------------------------


def database(args: argparse.Namespace) -> str:
    return args.database or f"parrain_bench_imports_{os.getpid()}"


def create_database(name: str) -> bool:
    with psycopg.connect(f"{PG} dbname=test", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
    say(f"created database {name}")
    return True


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG} dbname=test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    say(f"dropped database {name}")


def setup_django(name: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    os.environ["PARRAIN_DB"] = "postgres"
    os.environ["PGDATABASE"] = name
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    sys.path.insert(0, str(ROOT))
    say("migrating…")  # in a process of its own: its memory is not the import's
    subprocess.run(
        [sys.executable, str(ROOT / "sandbox" / "manage.py"), "migrate", "--verbosity", "0"],
        check=True,
        cwd=ROOT,
    )
    import django

    django.setup()


def new_program(slug: str) -> Any:
    from parrain.core.models import Program

    Program.objects.filter(slug=slug).delete()
    return Program.objects.create(
        name=slug, slug=slug, currency="EUR", landing_url="https://shop.example/parrainage"
    )


# The rows ----------------------------------------------------------------------------------


def generate(count: int) -> list:
    """``count`` parsed rows, the same for every run."""
    from parrain.core.importing.rows import ContactRow

    rng = random.Random(20261204)
    origin = datetime(2022, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        customer = rng.random() < 0.5
        consent = rng.random() < 0.6
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append(
            ContactRow(
                row=n + 2,
                email=f"{first.lower()}.{last.lower()}.{n}@bench.example",
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
    return rows


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


# (a) COPY ----------------------------------------------------------------------------------

BARE = """
CREATE TABLE bench_bare_contacts (
    email varchar(254), external_id varchar(120), first_name varchar(120),
    last_name varchar(120), phone varchar(20), language varchar(8), is_customer boolean,
    first_order_at timestamptz, total_spent numeric(12, 2), consent boolean,
    consent_at timestamptz, consent_source text, loyalty_points integer, tags jsonb
)
"""


def copy_bare(rows: list) -> float:
    import json

    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare_contacts")
        cursor.execute(BARE)
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy("COPY bench_bare_contacts FROM STDIN") as copy:
            for r in rows:
                copy.write_row(
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
                )
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_bare_contacts")
    return elapsed


# (b) The engine ----------------------------------------------------------------------------


def engine_pass(program: Any, rows: list, size: int) -> tuple[float, list[float], Any]:
    from django.db import transaction

    from parrain.core.importing.engine import BatchResult, apply_batch
    from parrain.core.models import ContactImport
    from parrain.core.models.choices import ImportSource

    contact_import = ContactImport.objects.create(program=program, source=ImportSource.API)
    total, times = BatchResult(), []
    start = time.perf_counter()
    for offset in range(0, len(rows), size):
        began = time.perf_counter()
        with transaction.atomic():
            total += apply_batch(
                program, rows[offset : offset + size], contact_import=contact_import
            )
        times.append(time.perf_counter() - began)
    return time.perf_counter() - start, times, total


def bench_engine(rows: list, size: int, copy_time: float) -> None:
    program = new_program("bench-imports-engine")
    say(f"(b) engine.apply_batch, batches of {size:,}")
    first, times, total = engine_pass(program, rows, size)
    ratio = copy_time / first
    say(
        f"    first import   {first:8.2f} s  {len(rows) / first:9,.0f} rows/s  "
        f"(new {total.new:,}, updated {total.updated:,}, unchanged {total.unchanged:,})"
    )
    again, times2, total2 = engine_pass(program, rows, size)
    say(
        f"    re-import      {again:8.2f} s  {len(rows) / again:9,.0f} rows/s  "
        f"(new {total2.new:,}, updated {total2.updated:,}, unchanged {total2.unchanged:,})"
    )
    # The first batch pays for warming up (query plans, imports): compare the second one
    # too, and the mean of the first and last tenths.
    tenth = max(1, len(times) // 10)
    head, tail = sum(times[:tenth]) / tenth, sum(times[-tenth:]) / tenth
    drift = times[-1] / times[0]
    say(
        f"    batches: first {times[0] * 1000:.0f} ms, last {times[-1] * 1000:.0f} ms "
        f"(last/first {drift:.2f}; first/last tenth {head * 1000:.0f}/{tail * 1000:.0f} ms, "
        f"{tail / head:.2f})"
    )
    verdict(f"ratio COPY / import {ratio:.2f}", ratio >= COPY_TARGET, f"≥ {COPY_TARGET}")
    verdict(f"last batch / first {drift:.2f}", drift <= DRIFT_TARGET, f"≤ {DRIFT_TARGET}")
    speedup = first / again
    verdict(f"re-import {speedup:.1f} × faster", speedup >= REIMPORT_TARGET, f"≥ {REIMPORT_TARGET}")
    report_memory()


def verdict(what: str, ok: bool, target: str) -> None:
    say(f"    {what:<34} target {target:<8} {'OK' if ok else 'MISSED'}")


def report_memory() -> None:
    peak = peak_mb()
    verdict(f"peak memory {peak:.0f} MB", peak < MEMORY_TARGET_MB, f"< {MEMORY_TARGET_MB} MB")


# (c) The import service's paths ------------------------------------------------------------


def service() -> Any | None:
    """The import service, or None while it is only a signature."""
    from parrain.core.services import contact_imports

    try:
        contact_imports.import_rows(None, [], source="api", actor="bench")  # type: ignore[arg-type]
    except NotImplementedError:
        return None
    except Exception:  # noqa: BLE001 - a real implementation refusing the dummy program
        return contact_imports
    return contact_imports


PATHS: dict[str, Callable[[Any, list, Path], Any]] = {}


def path(name: str) -> Callable:
    def register(fn: Callable) -> Callable:
        PATHS[name] = fn
        return fn

    return register


def bench_paths(rows: list, copy_time: float, folder: Path) -> None:
    say("(c) the import service, by path")
    if service() is None:
        for name in ("CSV file", "XLSX file", "bulk API", "Oscar import"):
            say(f"    {name:<14} not available yet")
        return
    for name, fn in PATHS.items():
        program = new_program(f"bench-imports-{name.split()[0].lower()}")
        try:
            elapsed = fn(program, rows, folder)
        except NotImplementedError:
            say(f"    {name:<14} not available yet")
            continue
        if elapsed is None:
            say(f"    {name:<14} not available yet")
            continue
        ratio = copy_time / elapsed
        say(f"    {name:<14} {elapsed:8.2f} s  {len(rows) / elapsed:9,.0f} rows/s")
        verdict(f"ratio COPY / {name} {ratio:.2f}", ratio >= COPY_TARGET, f"≥ {COPY_TARGET}")
        report_memory()


# Main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--only", choices=["engine", "paths"])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--keep", action="store_true", help="keep the database")
    group.add_argument("--database", help="reuse this database (never dropped)")
    args = parser.parse_args()

    name = database(args)
    created = create_database(name)
    try:
        setup_django(name)
        say(f"generating {args.rows:,} rows…")
        rows = generate(args.rows)
        # The rows stand for a parser's output, which the real paths stream batch by batch:
        # keep the collector from walking them again and again.
        gc.collect()
        gc.freeze()
        say(f"    memory after generating: {peak_mb():.0f} MB peak")
        copy_time = copy_bare(rows)
        say(f"(a) COPY into a bare table: {copy_time:.2f} s ({args.rows / copy_time:,.0f} rows/s)")
        if args.only != "paths":
            bench_engine(rows, args.batch, copy_time)
        if args.only != "engine":
            with tempfile.TemporaryDirectory(prefix="parrain-bench-imports-") as folder:
                bench_paths(rows, copy_time, Path(folder))
    finally:
        if created and not args.keep and not args.database:
            drop_database(name)
        elif created:
            say(f"kept database {name}")


if __name__ == "__main__":
    main()
