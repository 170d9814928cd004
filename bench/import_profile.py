"""Profile each import path once, in process: Python calls, CPU and statements per path.

    .venv/bin/python bench/import_profile.py [--rows 5000] [--paths csv,xlsx,api,oscar]
        [--again] [--top 25]

The same inputs and calls as ``bench/imports.py`` (a database of its own, dropped at the
end), each path run under cProfile with Django's ``execute_wrapper`` timing every
statement. Printed per path: wall and CPU time, CPU per row, the statements by total
time, then the functions by own time and by cumulative time. ``--again`` imports the
same input a second time (the re-import: nothing to write). Python call counts do not
depend on the machine's load; times do (the load average is printed with each).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imports as bench  # noqa: E402
from _harness import BenchRun, load_average, say  # noqa: E402


def print_profile(profile: cProfile.Profile, rows: int, label: str, top: int) -> None:
    stats = pstats.Stats(profile)
    calls = sum(entry[1] for entry in stats.stats.values())  # type: ignore[attr-defined]
    say(f"== {label}: {calls:,} Python calls ({calls / rows:.0f} a row)")
    for order, count in (("tottime", top), ("cumulative", top + 20)):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(count)
        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--paths", default="csv,xlsx,api,oscar")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--again", action="store_true")
    args = parser.parse_args()
    chosen = args.paths.split(",")
    with BenchRun("import_profile", extra_settings="PARRAIN_IMPORT_BATCH = 5000") as run:
        run.migrate_apart()
        run.setup_django(migrate=False)
        from django.db import connection

        with tempfile.TemporaryDirectory(prefix="parrain-import-profile-") as name:
            folder = Path(name)
            inputs: dict[str, Path] = {}
            if "csv" in chosen:
                inputs["csv"] = bench.write_csv(folder, args.rows)
            if "xlsx" in chosen:
                inputs["xlsx"] = bench.write_xlsx(folder, args.rows)
            if "api" in chosen:
                inputs["api"] = bench.write_api_bodies(folder, args.rows)
            if "oscar" in chosen:
                bench.copy_oscar_users(args.rows)
            runs = {
                "csv": lambda program: bench.file_import(program, inputs["csv"]),
                "xlsx": lambda program: bench.file_import(program, inputs["xlsx"]),
                "api": lambda program: bench.api_import(program, inputs["api"]),
                "oscar": lambda program: bench.oscar_import(program, 5000),
            }
            for key in chosen:
                program = bench.new_program(f"profile-{key}-{time.monotonic_ns()}")
                for attempt in ("first", "again") if args.again else ("first",):
                    by_sql: dict[str, list[float]] = {}

                    def timed(
                        execute: Any,
                        sql: str,
                        params: Any,
                        many: bool,
                        context: Any,
                        by_sql: dict[str, list[float]] = by_sql,
                    ) -> Any:
                        start = time.perf_counter()
                        try:
                            return execute(sql, params, many, context)
                        finally:
                            entry = by_sql.setdefault(" ".join(sql.split())[:80], [0, 0.0])
                            entry[0] += 1
                            entry[1] += time.perf_counter() - start

                    profile = cProfile.Profile()
                    cpu, wall = time.process_time(), time.perf_counter()
                    with connection.execute_wrapper(timed):
                        profile.enable()
                        runs[key](program)
                        profile.disable()
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    count = sum(int(n) for n, _ in by_sql.values())
                    in_sql = sum(t for _, t in by_sql.values())
                    say(
                        f"#### {key} {attempt}: wall {wall:.2f} s, CPU {cpu:.2f} s "
                        f"({cpu * 1e6 / args.rows:.0f} µs a row, profiled), {count} statements "
                        f"({in_sql:.2f} s); {load_average()}"
                    )
                    ranked = sorted(by_sql.items(), key=lambda item: -item[1][1])
                    for sql, (n, seconds) in ranked[:14]:
                        print(f"   {int(n):5d} {seconds * 1000:8.1f} ms  {sql}")
                    print_profile(profile, args.rows, f"{key} {attempt}", args.top)


if __name__ == "__main__":
    main()
