"""Benchmark: erasing contacts one by one against in batches, in a large program (issue 14).

    .venv/bin/python bench/erasure.py [--rows 20000] [--batch 200] [--alone 10]

A run of its own (``bench/_harness.py``): a database of its own, dropped at the end. The
program is filled the way a shop fills it, by importing ``--rows`` contacts from a CSV
file (the rows of ``bench/imports.py``: one audit entry per contact, consent records,
loyalty lines). Then, in the same run, each on contacts not erased yet:

* ``--alone`` contacts erased one by one (``erase_contact``, as the admins' contact page);
* ``--batch`` contacts erased together in one transaction (``erasing_together``, as the
  retention task's batches), their rows matched in Python past 45 identifiers;
* as many again together, with every identifier matched by PostgreSQL (``LIKE ANY``).

Printed: the time a contact in each way and the ratios. The issue's figures are for
``--rows 200000 --batch 200``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imports as bench  # noqa: E402
from _harness import BenchRun, load_average, say  # noqa: E402


def erase_alone(contacts: list[Any]) -> float:
    from parrain.core.services.erasure import erase_contact

    start = time.perf_counter()
    for contact in contacts:
        erase_contact(contact, actor="bench", scrub_files=False)
    return (time.perf_counter() - start) / len(contacts)


def erase_together(contacts: list[Any], stream_above: int) -> float:
    from django.db import transaction

    from parrain.core import erasure
    from parrain.core.services.erasure import erase_contact

    kept = erasure.STREAM_ABOVE
    erasure.STREAM_ABOVE = stream_above
    try:
        start = time.perf_counter()
        with transaction.atomic():
            people = [erasure.PersonalData.of(contact) for contact in contacts]
            with erasure.erasing_together(people):
                for contact in contacts:
                    erase_contact(contact, actor="bench", scrub_files=False)
        return (time.perf_counter() - start) / len(contacts)
    finally:
        erasure.STREAM_ABOVE = kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--alone", type=int, default=10)
    args = parser.parse_args()
    with BenchRun("erasure") as run:
        say("migrating…")
        run.migrate_apart()
        run.setup_django(migrate=False)
        from parrain.core.models import Contact

        with tempfile.TemporaryDirectory(prefix="parrain-bench-erasure-") as name:
            say(f"importing {args.rows:,} contacts…")
            program = bench.new_program("bench-erasure")
            bench.file_import(program, bench.write_csv(Path(name), args.rows))

        def fresh(count: int) -> list[Any]:
            alive = Contact.objects.filter(program=program, erased_at__isnull=True)
            return list(alive.order_by("?")[:count])

        say(load_average())
        alone = erase_alone(fresh(args.alone))
        say(f"one by one:               {alone:.3f} s a contact ({args.alone} contacts)")
        read_once = erase_together(fresh(args.batch), stream_above=45)
        say(f"together, read once:      {read_once:.3f} s a contact ({args.batch} contacts)")
        like_any = erase_together(fresh(args.batch), stream_above=10**9)
        say(f"together, LIKE ANY:       {like_any:.3f} s a contact ({args.batch} contacts)")
        say(
            f"ratios: together (read once) {alone / read_once:.1f} × faster than one by one, "
            f"{like_any / read_once:.1f} × faster than LIKE ANY"
        )
        say(load_average())


if __name__ == "__main__":
    main()
