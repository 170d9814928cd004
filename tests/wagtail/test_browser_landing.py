"""Headless Chromium: a friend follows a share link to the published landing page and
claims the welcome offer in the referee widget.

Written against the embed contract (``parrain.core.embed``) and the share link
``/r/<code>`` → ``<landing_url>?parrain=<code>``. It needs the built widget
(``core/static/parrain/widget.js``) and Debian's Chromium (``/usr/bin/chromium``): without
them it skips with the reason, and fails under ``CI=true``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.db import connections

import parrain.core
from parrain.core.models import Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.plugins.wagtail.factories import create_landing_page
from tests.services import IN_CI

from .helpers import default_site, make_program

WIDGET_JS = Path(parrain.core.__file__).resolve().parent / "static" / "parrain" / "widget.js"
CHROMIUM = Path("/usr/bin/chromium")
FRIEND = "bob.martin@example.org"
TIMEOUT_MS = 15_000


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


@pytest.fixture
def browser_page():
    _require(WIDGET_JS.exists(), f"the built widget is missing: {WIDGET_JS}")
    _require(CHROMIUM.exists(), f"Chromium is missing: {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made here
    # between browser steps are plain synchronous queries.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox"]
            )
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            yield page
            browser.close()
            # The test's ORM calls ran beside Playwright's event loop, on a connection that
            # nothing closes once it stops: left open, the test database cannot be dropped.
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.django_db(transaction=True)
def test_friend_arrives_through_share_link_and_claims_the_offer(
    browser_page, live_server, settings
) -> None:
    # Given a program whose landing page is published on the live server's site
    settings.PARRAIN_BASE_URL = live_server.url
    host, port = live_server.url.removeprefix("http://").split(":")
    program = make_program()
    program.allowed_origins = [live_server.url]
    program.save()
    site = default_site()
    site.hostname, site.port = host, int(port)
    site.save()
    create_landing_page(site.root_page, program)
    program.refresh_from_db()
    assert program.landing_url == f"{live_server.url}/parrainage/"
    code = enrol_referrer(program, "alice@example.com").code

    # When the friend opens the referrer's share link
    browser_page.goto(f"{live_server.url}/r/{code}")

    # Then they land on the landing page with the code, and the widget renders
    assert browser_page.url == f"{live_server.url}/parrainage/?parrain={code}"
    assert browser_page.locator("script[data-parrain-key]").count() == 1
    email = browser_page.locator('input[type="email"]')  # CSS locators pierce shadow roots
    email.wait_for(state="visible")
    assert (
        browser_page.get_by_text("15% off your first order")
        .or_(browser_page.get_by_text("-15 % sur votre première commande"))
        .first.is_visible()
    )

    # When they enter their email and claim the welcome offer
    email.fill(FRIEND)
    consent = browser_page.locator('input[type="checkbox"]')
    if consent.count():
        consent.first.check()
    browser_page.locator('button[type="submit"]').first.click()

    # Then the referral is registered for the referrer's code
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    referral = None
    while referral is None and time.monotonic() < deadline:
        referral = Referral.objects.filter(program=program, referee__email=FRIEND).first()
        time.sleep(0.2)
    assert referral is not None, "the widget did not register the friend"
    assert referral.status == ReferralStatus.REGISTERED
    assert referral.referrer.referrer_code == code
