"""Benchmark: the referral landing page rendered with the widget block vs without it.

    .venv/bin/python bench/wagtail_landing.py [--requests 200] [--rounds 5]

Two published landing pages of the same program, identical except for the referral widget
block, are served through Django's test client (URL routing, Wagtail's page serving, the
StreamField render) in alternating rounds on an in-memory SQLite database. Prints the median
time per request of each and their ratio (target: at most 1.1). Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.1


def setup() -> tuple[str, str]:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["PARRAIN_TEST_DB"] = "sqlite"  # tests.settings: in-memory SQLite
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
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
    with_url, without_url = setup()
    from django.test import Client

    client = Client()
    assert b"data-parrain-widget" in client.get(with_url).content
    assert b"data-parrain-widget" not in client.get(without_url).content
    timed(client, with_url, 50), timed(client, without_url, 50)  # warm up
    with_times, without_times = [], []
    for _ in range(args.rounds):
        without_times.append(timed(client, without_url, args.requests))
        with_times.append(timed(client, with_url, args.requests))
    with_ms = statistics.median(with_times) * 1000
    without_ms = statistics.median(without_times) * 1000
    ratio = with_ms / without_ms
    print(f"landing page without the widget block  {without_ms:7.3f} ms/request")
    print(f"landing page with the widget block     {with_ms:7.3f} ms/request")
    verdict = "ok" if ratio <= TARGET else "ABOVE TARGET"
    print(f"ratio with/without                     {ratio:7.3f}   (target <= {TARGET}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
