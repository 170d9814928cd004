"""Issue 15: the demo works on whatever address serves it, and a refused page says why.

The live server listens on ``localhost`` on a random port (never 8000). The demo is first
seeded as a plain ``make demo`` would (127.0.0.1:8000), then ``make demo
ADDRESS=localhost:<port>`` runs again: the widgets must work at both loopback names. A page
whose origin the program does not allow gets a console message naming the origin (in the
page's language), the visitor is not told to check their network, and the owner sees the
origin in the program's admin page. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command

from parrain.core.api.origins import forget_programs
from parrain.core.factories import ProgramFactory
from parrain.core.models import Program, RefusedOrigin
from sandbox.demo_address import base_url_for
from tests.wagtail.helpers import default_site

pytestmark = [pytest.mark.django_db(transaction=True)]
TIMEOUT_MS = 15_000


def make_demo(settings: Any, base_url: str) -> None:
    """The seeding steps of `make demo`, for a demo served at ``base_url``."""
    settings.PARRAIN_BASE_URL = base_url
    settings.WAGTAILADMIN_BASE_URL = base_url
    with open(os.devnull, "w") as quiet:
        call_command("parrain_demo", stdout=quiet)
        call_command("parrain_oscar_demo", stdout=quiet)
        call_command("parrain_wagtail_demo", shop_url="/shop/", stdout=quiet)
    cache.clear()
    forget_programs()


def both_names(live_url: str) -> tuple[str, str]:
    port = urlsplit(live_url).port
    return f"http://localhost:{port}", f"http://127.0.0.1:{port}"


def console_of(page: Any) -> list[str]:
    lines: list[str] = []
    page.on("console", lambda message: lines.append(message.text))
    return lines


def test_demo_moved_to_another_port_works_at_localhost_and_127_0_0_1(
    browser: Any, live_server: Any, settings: Any, artifacts: Path
) -> None:
    default_site()
    localhost, loopback = both_names(live_server.url)
    assert not localhost.endswith(":8000")
    # Given a first `make demo`, then `make demo ADDRESS=localhost:<port>`
    make_demo(settings, "http://127.0.0.1:8000")
    make_demo(settings, base_url_for(localhost.removeprefix("http://")))
    program = Program.objects.get(slug="maison-lumiere")
    assert program.landing_url == f"{localhost}/parrainage/"

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console = console_of(page)
    # When the referrer gets a link on the widgets page opened at 127.0.0.1 (the API is at
    # localhost: another origin for the browser)
    page.goto(f"{loopback}/widgets/")
    referrer = page.locator("#referrer parrain-widget")
    referrer.get_by_label("Your email").fill("zoe@example.com")
    referrer.get_by_role("button", name="Get my link").click()
    link = referrer.get_by_label("Your referral link")
    link.wait_for()
    share_url = link.input_value()
    # Then the share link names the port the demo runs on, never 8000
    assert share_url.startswith(f"{localhost}/r/")
    page.screenshot(path=artifacts / "any-address-1-widgets-127.0.0.1.png", full_page=True)

    # When a friend follows it (at localhost), the landing page (in the visitor's English,
    # which the program has) offers the code
    page.goto(share_url)
    assert page.url.startswith(f"{localhost}/parrainage/")
    referee = page.locator("parrain-widget")
    referee.get_by_role("button", name="Get my offer").wait_for()
    assert referee.get_by_role("alert").inner_text() == ""
    page.screenshot(path=artifacts / "any-address-2-landing-localhost.png", full_page=True)
    # And the same landing page at 127.0.0.1, without a link, asks for the code
    page.goto(f"{loopback}/parrainage/")
    page.locator("parrain-widget").get_by_role("button", name="Check the code").wait_for()
    assert not [line for line in console if line.startswith("Parrain")], console
    assert not RefusedOrigin.objects.exists()
    context.close()


def test_page_on_an_origin_not_allowed_says_so_in_the_console_and_the_admin(
    browser: Any, live_server: Any, settings: Any, artifacts: Path
) -> None:
    localhost, loopback = both_names(live_server.url)
    settings.PARRAIN_BASE_URL = localhost
    cache.clear()
    forget_programs()
    # Given a program that allows only the shop's origin, its widget placed on a page at
    # 127.0.0.1 (the API at localhost)
    program = ProgramFactory(slug="elsewhere", allowed_origins=["https://shop.example"])

    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console = console_of(page)
    hint = f"Parrain : l'origine de cette page ({loopback}) n'est pas autorisée pour ce programme."
    with page.expect_console_message(lambda message: message.text.startswith(hint)):
        page.goto(f"{loopback}/widgets/?program=elsewhere")
    # Then both widgets tell the visitor, without sending them to check their network
    for box in ("#referrer", "#referee"):
        alert = page.locator(f"{box} parrain-widget").get_by_role("alert")
        alert.filter(has_text="Ce widget n'est pas configuré pour ce site.").wait_for()
        assert "réseau" not in alert.inner_text()
    # And the developer read which origin to allow once, in the page's language
    assert sum(line.startswith(hint) for line in console) == 1, console
    page.screenshot(path=artifacts / "any-address-3-refused-origin.png", full_page=True)
    context.close()

    # And the owner finds it on the program's admin page
    refused = RefusedOrigin.objects.get(program=program)
    assert refused.origin == loopback
    get_user_model().objects.create_superuser("owner", "owner@example.com", "owner-pw-2026")
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    admin = context.new_page()
    admin.goto(f"{localhost}/admin/login/?next=/admin/parrain/program/{program.pk}/change/")
    admin.get_by_label("Username").fill("owner")
    admin.get_by_label("Password").fill("owner-pw-2026")
    admin.get_by_role("button", name="Log in").click()
    admin.get_by_text("this page origin is not allowed for this program").wait_for()
    panel = admin.locator(".inline-group").filter(has_text="page origins not allowed")
    assert loopback in panel.inner_text()
    panel.scroll_into_view_if_needed()
    admin.screenshot(path=artifacts / "any-address-4-admin-widget-errors.png", full_page=True)
    context.close()
