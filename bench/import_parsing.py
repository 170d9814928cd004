"""Benchmark: reading and validating a customer file, without the database.

    .venv/bin/python bench/import_parsing.py [--rows 200000]

Writes a CSV (``;``, French dates and decimals, as Excel saves them in France) and an XLSX
(dates as day numbers with a date format, amounts as floats) of typical rows (email, first
and last name, external id, is customer, first order date, total spent, consent, consent
date) into a temporary folder, then times ``files.inspect`` + ``iter_numbered_rows`` +
``rows.make_parser`` on every row: wall and CPU seconds, and the process's peak memory.
This is the file half of ``bench/imports.py``; nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["Email", "Prénom", "Nom", "ID client", "Client", "Date de première commande"]
HEADERS += ["Total dépensé", "Optin", "Date du consentement"]


def typical_rows(count: int, *, excel: bool) -> list[list[object]]:
    rng = random.Random(14)
    names = ["Marie", "Jean", "Élodie", "Luc", "Chloé", "Noël"]
    rows: list[list[object]] = []
    for number in range(count):
        ordered = datetime(2020, 1, 1) + timedelta(minutes=rng.randrange(2_000_000))
        agreed = ordered + timedelta(minutes=rng.randrange(10_000))
        spent = rng.randrange(100_000) / 100
        consent = rng.choice([1, 0, None])
        person = [f"client{number}@example.com", rng.choice(names), "Martin", f"C{number:07d}"]
        if excel:
            rows.append(person + [rng.choice([True, False]), ordered, spent, consent, agreed])
        else:
            rows.append(
                person
                + [rng.choice(["oui", "non"]), ordered.strftime("%d/%m/%Y %H:%M")]
                + [f"{spent:.2f}".replace(".", ","), "" if consent is None else str(consent)]
                + [agreed.strftime("%Y-%m-%d %H:%M:%S")]
            )
    return rows


def write_files(folder: Path, count: int) -> tuple[Path, Path]:
    from openpyxl import Workbook

    csv_path = folder / "customers.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(typical_rows(count, excel=False))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADERS)
    for row in typical_rows(count, excel=True):
        sheet.append(row)
    xlsx_path = folder / "customers.xlsx"
    workbook.save(xlsx_path)
    return csv_path, xlsx_path


def measure(path: Path) -> None:
    from parrain.core.importing import files, mapping, rows

    wall, cpu = time.perf_counter(), time.process_time()
    info = files.inspect(path, path.name)
    parser = rows.make_parser(
        info.headers,
        mapping.guess(info.headers),
        languages=["fr", "en"],
        phone_region="FR",
        tz="Europe/Paris",
    )
    good = bad = 0
    for number, cells in files.iter_numbered_rows(path, info):
        if isinstance(parser(number, cells), list):
            bad += 1
        else:
            good += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{path.suffix[1:]:>4}: {good:,} valid, {bad:,} invalid rows; "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU ({good / cpu:,.0f} rows/s of CPU)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as folder:
        csv_path, xlsx_path = write_files(Path(folder), args.rows)
        measure(csv_path)
        measure(xlsx_path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process (files written in it too): {peak:.0f} MB")


if __name__ == "__main__":
    main()
