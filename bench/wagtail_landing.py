"""Benchmark: the referral landing page rendered with the widget block vs without it.

    .venv/bin/python bench/wagtail_landing.py [--requests 200] [--rounds 5]

Two published landing pages of the same program, identical except for the referral widget
block, are served through Django's test client (URL routing, Wagtail's page serving, the
StreamField render) in rounds, in an order rotating from round to round, on an in-memory
SQLite database (the test settings through ``bench/_harness.py``, with their in-process
cache: no Redis). Prints the median time per request of each and the median of the
per-round ratios (target: at most 1.1). Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import BenchRun, interleaved, load_average, ratio_table, say  # noqa: E402

TARGET = 1.1


def setup(run: BenchRun) -> tuple[str, str]:
    run.setup_django()  # tests.settings on in-memory SQLite: migrated here, private to us
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from wagtail.models import Site

    from parrain.plugins.wagtail.factories import create_landing_page
    from tests.wagtail.helpers import make_program

    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "testserver", 80
    site.save()
    program = make_program()
    with_widget = create_landing_page(site.root_page, program, slug="with-widget")
    without = create_landing_page(site.root_page, program, slug="without-widget", widget=False)
    return with_widget.url, without.url


def timed(client, url: str, requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    return elapsed / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with BenchRun("wagtail_landing", base="tests.settings", postgres=False, redis=False) as run:
        with_url, without_url = setup(run)
        from django.test import Client

        client = Client()
        assert b"data-parrain-widget" in client.get(with_url).content
        assert b"data-parrain-widget" not in client.get(without_url).content
        timed(client, with_url, 50), timed(client, without_url, 50)  # warm up
        say(load_average())
        times = interleaved(
            {
                "without the widget block": lambda: (
                    timed(client, without_url, args.requests) * 1000
                ),
                "with the widget block": lambda: timed(client, with_url, args.requests) * 1000,
            },
            args.rounds,
        )
        say(f"\nms per request, {args.requests} a slice; target with / without <= {TARGET}")
        ratio_table(times, "without the widget block", TARGET, unit=" ms", at_most=True, digits=3)
        say(load_average())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
