"""``make demo ADDRESS=…``: the demo works on whatever address it is served from (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from wagtail.models import Site

from parrain.core.addresses import loopback_aliases, origin_of
from parrain.core.management.commands.parrain_demo import main_program, second_program
from parrain.core.models import Program
from sandbox.demo_address import base_url_for, demo_base_url, demo_host
from tests.wagtail.helpers import default_site

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("address", "base_url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("8101", "http://127.0.0.1:8101"),
        ("localhost:8101", "http://localhost:8101"),
        ("0.0.0.0:8000", "http://127.0.0.1:8000"),  # every interface: this machine's browser
        ("[::1]:8002", "http://[::1]:8002"),
        ("192.168.1.5:9000", "http://192.168.1.5:9000"),
        ("", "http://127.0.0.1:8000"),
    ],
)
def test_runserver_address_gives_a_base_url_a_browser_can_open(address, base_url) -> None:
    assert base_url_for(address) == base_url


def test_an_explicit_base_url_wins_over_the_address() -> None:
    environ = {"PARRAIN_DEMO_ADDRESS": "8101", "PARRAIN_BASE_URL": "https://demo.example"}
    assert demo_base_url(environ) == "https://demo.example"
    assert demo_base_url({"PARRAIN_DEMO_ADDRESS": "8101"}) == "http://127.0.0.1:8101"
    assert demo_host("http://[::1]:8002") == "[::1]"


def test_demo_settings_follow_the_address_and_accept_its_host() -> None:
    # Given make demo ADDRESS=192.168.1.5:8101 (what the Makefile exports)
    env = {k: v for k, v in os.environ.items() if k != "PARRAIN_BASE_URL"}
    env.update(PARRAIN_DEMO_ADDRESS="192.168.1.5:8101", DJANGO_SETTINGS_MODULE="sandbox.settings")
    code = (
        "from django.conf import settings as s;"
        "print(s.PARRAIN_BASE_URL, s.WAGTAILADMIN_BASE_URL, s.ALLOWED_HOSTS)"
    )
    out = subprocess.run(  # nosec B603 # fixed command, this interpreter
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("http://192.168.1.5:8101 http://192.168.1.5:8101 ")
    assert "'192.168.1.5'" in out and "'localhost'" in out


def test_origins_are_compared_as_browsers_send_them() -> None:
    assert origin_of("HTTPS://Shop.Example:443/page?x=1") == "https://shop.example"
    assert origin_of("http://127.0.0.1:8101/") == "http://127.0.0.1:8101"
    assert origin_of("127.0.0.1:8000") == "" and origin_of("ftp://x.example") == ""
    assert loopback_aliases("http://localhost:8101/parrainage/") == [
        "http://localhost:8101",
        "http://127.0.0.1:8101",
    ]
    assert loopback_aliases("https://shop.example/x") == ["https://shop.example"]


@pytest.mark.django_db
def test_demo_seeded_on_one_address_moves_to_the_next(settings) -> None:
    # Given the demo seeded while served on 127.0.0.1:8000, with an origin added by hand
    settings.PARRAIN_BASE_URL = "http://127.0.0.1:8000"
    default_site()
    main, second = main_program(), second_program()
    assert main.allowed_origins == ["http://127.0.0.1:8000", "http://localhost:8000"]
    main.allowed_origins.append("https://shop.example")
    main.save()

    # When make demo runs again with ADDRESS=localhost:8101
    settings.PARRAIN_BASE_URL = "http://localhost:8101"
    out = StringIO()
    for command, options in (
        ("parrain_demo", {}),
        ("parrain_oscar_demo", {}),
        ("parrain_wagtail_demo", {"shop_url": "/shop/"}),
    ):
        call_command(command, stdout=out, **options)

    # Then origins, landing URLs and the Wagtail site name the new address, both loopbacks
    main.refresh_from_db()
    second.refresh_from_db()
    new = ["http://localhost:8101", "http://127.0.0.1:8101"]
    assert main.allowed_origins == [*new, "https://shop.example"]
    assert main.landing_url == "http://localhost:8101/parrainage/"
    assert second.allowed_origins == new
    assert second.landing_url == "http://localhost:8101/widgets/"
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("localhost", 8101)
    assert Program.objects.count() == 2  # re-homed, not seeded twice
    assert "served at http://localhost:8101" in out.getvalue()
