"""Each batch of one import, statement by statement: does a batch cost more as the table grows?

    .venv/bin/python bench/import_batches.py [--path oscar|csv|xlsx] [--rows 50000] [--fill]

The same inputs and calls as ``bench/imports.py`` (a database of its own, dropped at the
end). ``--fill`` first imports the same number of rows into another program (the bench's
other paths fill the table before the later ones). Printed: each batch's wall time (from
one commit to the next), its time in SQL, its commit (the deferred foreign-key checks),
then the dozen statements that cost most, each with its time in every batch (ms).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="oscar", choices=("oscar", "csv", "xlsx"))
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--fill", action="store_true")
    args = parser.parse_args()
    with BenchRun("import_batches", extra_settings="PARRAIN_IMPORT_BATCH = 5000") as run:
        run.migrate_apart()
        run.setup_django(migrate=False)
        from django.db import connection

        with tempfile.TemporaryDirectory(prefix="parrain-import-batches-") as name:
            folder = Path(name)
            if args.path == "oscar":
                bench.copy_oscar_users(args.rows)
            else:
                write = bench.write_xlsx if args.path == "xlsx" else bench.write_csv
                file = write(folder, args.rows)
            if args.fill:
                filler = bench.write_csv(folder, args.rows)
                bench.file_import(bench.new_program(f"fill-{time.monotonic_ns()}"), filler)
            batches: list[dict[str, float]] = [{}]
            marks = bench.Batches()

            def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                start = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    key = " ".join(sql.split())[:70]
                    batch = batches[len(marks.ends)] if len(marks.ends) < len(batches) else {}
                    batch[key] = batch.get(key, 0.0) + time.perf_counter() - start

            commit = connection.commit

            def timed_commit() -> None:
                start = time.perf_counter()
                try:
                    commit()
                finally:
                    batch = batches[-1]
                    batch["COMMIT"] = batch.get("COMMIT", 0.0) + time.perf_counter() - start

            def next_batch() -> None:
                batches.append({})

            marks.mark = lambda: (marks.ends.append(time.perf_counter()), next_batch())  # type: ignore[method-assign]
            connection.commit = timed_commit  # type: ignore[method-assign]
            program = bench.new_program(f"batches-{time.monotonic_ns()}")
            start = time.perf_counter()
            with connection.execute_wrapper(timed):
                if args.path == "oscar":
                    bench.oscar_import(program, 5000)
                else:
                    bench.file_import(program, file)
            walls = marks.times(start)
            done = batches[: len(walls)]
            say(f"{args.path}, {args.rows:,} rows{' (table filled first)' if args.fill else ''}")
            say(load_average())
            print("wall    " + " ".join(f"{w * 1000:6.0f}" for w in walls))
            in_sql = [sum(t for k, t in b.items() if k != "COMMIT") for b in done]
            print("SQL     " + " ".join(f"{t * 1000:6.0f}" for t in in_sql))
            print("COMMIT  " + " ".join(f"{b.get('COMMIT', 0) * 1000:6.0f}" for b in done))
            keys = {k for b in done for k in b if k != "COMMIT"}
            ranked = sorted(keys, key=lambda k: -sum(b.get(k, 0.0) for b in done))
            for key in ranked[:12]:
                print("        " + " ".join(f"{b.get(key, 0) * 1000:6.0f}" for b in done), key)


if __name__ == "__main__":
    main()
