"""Benchmark: the share link ``/r/<code>`` and the widget configuration against a bare view.

    .venv/bin/python bench/share_link.py [--codes 20000] [--programs 5] [--seconds 1.5]
                                         [--rounds 12] [--workers 2] [--concurrency 8]

Serves the sandbox with gunicorn (sync workers, DEBUG off, persistent connections) over
PostgreSQL and Redis, in this run's own database and Redis prefix (``bench/_harness.py``):
the cache, the rate-limit counters and the share-link click queue are shared by the
workers, as in production. ``--programs`` programs hold ``--codes`` referrers between them;
each share-link request takes the next code of a shuffled cycle through all of them, and
each configuration request the next program's public key (real traffic: many distinct
codes, several programs, not one hot code). The rate limits are raised so the benchmark
measures their cost without being refused. The bare view, the share link and the
configuration are loaded in short slices, interleaved in rotating order, round after
round; the report is the median of the per-round ratios to the bare view (target >= 0.7).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import (  # noqa: E402
    BenchRun,
    http_request,
    interleaved,
    load_average,
    measure,
    ratio_table,
    say,
)

TARGET = 0.7
ORIGIN = "http://127.0.0.1:8000"


def seed(programs: int, codes: int) -> tuple[list[str], list[str]]:
    """Programs and their referrers, written in bulk: (public keys, codes)."""
    from parrain.core.models import Contact, Program
    from parrain.core.services.enrolment import enrol_referrer

    keys, all_codes = [], []
    for p in range(programs):
        program = Program.objects.create(
            name=f"Bench widget {p}",
            slug=f"bench-widget-{p}",
            landing_url=f"{ORIGIN}/widgets/",
            allowed_origins=[ORIGIN],
        )
        keys.append(program.public_key)
        model = enrol_referrer(program, f"model{p}@example.com", first_name="Bench").contact
        all_codes.append(model.referrer_code)
        share = codes // programs - 1
        contacts = []
        for n in range(share):
            email = f"referrer{p}-{n}@example.com"
            contact = Contact(
                program=program,
                email=email,
                email_normalized=email,
                email_canonical=email,
                first_name="Bench",
                referrer_code=f"B{p}X{n:07d}",
                language=model.language,
            )
            contacts.append(contact)
        Contact.objects.bulk_create(contacts, batch_size=2000)
        all_codes += [c.referrer_code for c in contacts]
    say(f"seeded {programs} programs, {len(all_codes)} referrer codes")
    return keys, all_codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=20_000)
    parser.add_argument("--programs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5, help="per URL and round")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with BenchRun("share_link") as run:
        run.setup_django()
        keys, codes = seed(args.programs, args.codes)
        random.Random(16).shuffle(codes)
        from parrain.core.models import ShareClick
        from parrain.core.services.clicks import flush_clicks

        say(load_average())
        with run.serve(workers=args.workers) as port:
            headers = {"Origin": ORIGIN, "Accept": "application/json"}
            code_cycle, key_cycle = itertools.cycle(codes), itertools.cycle(keys)
            answered = 0

            def share() -> bytes:
                nonlocal answered
                answered += 1
                return http_request("GET", f"/r/{next(code_cycle)}", port, headers)

            def config() -> bytes:
                path = f"/api/v1/public/{next(key_cycle)}/config?lang=fr"
                return http_request("GET", path, port, headers)

            def bare() -> bytes:
                return http_request("GET", "/bench/bare/", port, headers)

            def path(make):  # noqa: ANN001, ANN202
                return lambda: measure(port, make, args.seconds, args.concurrency, {200, 302})

            paths = {
                "bare view": path(bare),
                "share link /r/<code>": path(share),
                "widget config": path(config),
            }
            for make in paths.values():  # warm up
                make()
            rates = interleaved(paths, args.rounds)
        say(
            f"\ngunicorn {args.workers} sync workers, {args.concurrency} connections, "
            f"{args.rounds} rounds of {args.seconds:g} s; {len(codes)} codes in "
            f"{args.programs} programs; target >= {TARGET}"
        )
        ratio_table(rates, "bare view", TARGET)
        say(load_average())
        flush_clicks()  # what the flush_share_clicks task does every minute in production
        clicks = ShareClick.objects.count()
        distinct = ShareClick.objects.values("referrer").distinct().count()
        say(f"share links answered: {answered}; clicks recorded: {clicks} ({distinct} referrers)")
        if clicks != answered:
            raise SystemExit("clicks lost")


if __name__ == "__main__":
    main()
