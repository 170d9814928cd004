"""Benchmark: the server API's ``POST /contacts/bulk`` at its documented maximum, 10,000 rows.

    .venv/bin/python bench/bulk_api.py [--requests 10] [--rows 10000]

Issue 14 measured 1,069 s for one such request (500 after 30 s behind gunicorn, 732 rows
stored). Each request here goes through the whole Django + ninja stack in-process (no
network): ``--requests`` requests of new contacts one after the other (the table grows to
``requests × rows``: the last must be no slower than the first), then the last batch sent
again (nothing to write) and once more with every first name changed (all updated).

Runs in a PostgreSQL database and Redis prefix of its own (``bench/_harness.py``: named
after the bench, its process id and a random suffix, dropped at the end; no other database
is touched). There is no baseline to interleave: the measure is the growth from the first
request to the last. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import BenchRun, load_average, say  # noqa: E402


def rows(batch: int, size: int, name: str) -> list[dict]:
    return [
        {
            "email": f"client{batch}-{n}@bench.example",
            "external_id": f"B{batch}-{n}",
            "first_name": name,
            "last_name": "Bench",
            "phone": f"+3361{batch % 10}{n:06d}"[:12],
            "language": "fr",
            "is_customer": n % 3 == 0,
            "consent_recontact": n % 2 == 0,
        }
        for n in range(size)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with BenchRun("bulk_api") as run:  # Celery eager, as before
        run.setup_django()
        say(load_average())
        measure(args)
        say(load_average())


def measure(args: argparse.Namespace) -> None:
    from django.test import Client

    from parrain.core.models import Contact, Program

    program = Program.objects.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    _, key = program.create_api_key("bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/programs/{program.slug}/contacts/bulk"

    def send(label: str, body: list[dict]) -> float:
        payload = json.dumps({"rows": body})
        started = time.perf_counter()
        response = client.post(url, payload, content_type="application/json")
        took = time.perf_counter() - started
        answer = response.json()
        counts = (answer.get("created"), answer.get("updated"), answer.get("failed"))
        assert response.status_code == 200, response.content[:500]
        say(f"{label:<28} {took:6.2f} s  {len(body) / took:8,.0f} rows/s  {counts}")
        return took

    times = [send(f"new #{n + 1}", rows(n, args.rows, "Camille")) for n in range(args.requests)]
    last = args.requests - 1
    again = send("same rows again", rows(last, args.rows, "Camille"))
    updated = send("every first name changed", rows(last, args.rows, "Dominique"))
    total = Contact.objects.filter(program=program).count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(
        f"\n{total:,} contacts; first {times[0]:.2f} s, last {times[-1]:.2f} s "
        f"(×{times[-1] / times[0]:.2f}); re-send {again:.2f} s; update {updated:.2f} s; "
        f"peak memory {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
