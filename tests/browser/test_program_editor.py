"""Headless Chromium: a shop owner creates a program from scratch in the Django admin with
the program editor (no JSON), publishes a Wagtail landing page for it, and a friend claims
the welcome offer there with the texts the owner typed (issue 15 §2, "Done when")."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from parrain.core.models import Program, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.plugins.wagtail.factories import create_landing_page
from tests.wagtail.helpers import default_site

pytestmark = pytest.mark.django_db(transaction=True)
FRIEND = "chloe@example.org"
CONSENT_FR = "J'accepte de recevoir les nouveautés de Café Lune."
OFFER_FR = "-20 % sur votre premier café"
OFFER_EN = "20% off your first coffee"


def signed_in(browser: Any, live_server: Any, locale: str) -> Any:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "owner-password")
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def test_owner_creates_a_program_in_the_django_admin_and_a_friend_claims_on_wagtail(
    browser: Any, live_server: Any, settings: Any, artifacts: Path
) -> None:
    cache.clear()
    settings.PARRAIN_BASE_URL = live_server.url
    User.objects.create_superuser("owner", "owner@example.com", "owner-password")
    page = signed_in(browser, live_server, "en-US")

    # Given the empty "Add program" page of the Django admin
    page.goto(f"{live_server.url}/admin/parrain/program/add/")
    # When the owner fills the editor: name (the slug follows), channels unticked and
    # reordered, their page's origin, a colour, the texts in both languages, both offers
    page.fill("#id_name", "Café Lune")
    page.locator("#id_languages").select_option(["fr", "en"])
    for channel in ("sms", "messenger", "x", "linkedin"):
        page.uncheck(f"#id_share_channels_{channel}")
    for _ in range(6):  # from 8th to 2nd, just after email
        page.click('li[data-channel="link"] button[data-move="up"]')
    page.fill("#id_allowed_origins_0", live_server.url)
    page.click("[data-add-origin]")
    page.fill("#id_allowed_origins_1", "https://cafe-lune.example")
    page.fill("#id_brand_colour", "#7a2e8e")
    page.fill("#id_consent_texts_fr", CONSENT_FR)
    # the French text stands as a hint under the English input while typing
    hint = page.locator('[data-parrain-language="en"] [data-hint="fr"]').first
    assert hint.is_visible() and CONSENT_FR in hint.inner_text()
    page.fill("#id_consent_texts_en", "I agree to receive Café Lune's news.")
    page.select_option("#id_referrer_kind", "fixed_amount")
    page.fill("#id_referrer_value", "8")
    page.fill("#id_referrer_labels_fr", "8 € offerts")
    page.fill("#id_referrer_labels_en", "€8 off")
    page.select_option("#id_referee_kind", "percentage")
    page.fill("#id_referee_value", "20")
    page.fill("#id_referee_labels_fr", OFFER_FR)
    page.fill("#id_referee_labels_en", OFFER_EN)
    # choosing only French hides the English inputs; choosing both shows them again
    page.locator("#id_languages").select_option(["fr"])
    assert not page.locator("#id_consent_texts_en").is_visible()
    page.locator("#id_languages").select_option(["fr", "en"])
    assert page.locator("#id_consent_texts_en").is_visible()
    page.screenshot(path=artifacts / "program-editor-django-admin-en.png", full_page=True)
    page.click("input[name=_save]")

    # Then the program is stored as typed, the channels in the order shown
    page.wait_for_url(f"{live_server.url}/admin/parrain/program/")
    program = Program.objects.get(slug="cafe-lune")
    assert program.share_channels == ["email", "link", "whatsapp", "facebook", "qr"]
    assert program.allowed_origins == [live_server.url, "https://cafe-lune.example"]
    assert program.brand_colour == "#7a2e8e"
    assert program.consent_texts["fr"] == CONSENT_FR
    assert program.rule("referee").labels == {"fr": OFFER_FR, "en": OFFER_EN}
    page.context.close()

    # The same editor in French, on the program's change page
    french = signed_in(browser, live_server, "fr-FR")
    french.goto(f"{live_server.url}/admin/parrain/program/{program.pk}/change/")
    assert french.locator("#id_consent_texts_fr").input_value() == CONSENT_FR
    french.screenshot(path=artifacts / "program-editor-django-admin-fr.png", full_page=True)
    french.context.close()

    # When a Wagtail landing page of the program is published on the live server's site
    host, port = live_server.url.removeprefix("http://").split(":")
    site = default_site()
    site.hostname, site.port = host, int(port)
    site.save()
    create_landing_page(site.root_page, program)
    program.refresh_from_db()
    assert program.landing_url == f"{live_server.url}/parrainage/"
    code = enrol_referrer(program, "alice@example.com").code

    # Then a friend following the share link sees the offer and the consent the owner typed
    friend_context = browser.new_context(locale="fr-FR", viewport={"width": 420, "height": 900})
    friend = friend_context.new_page()
    friend.set_default_timeout(15_000)
    friend.goto(f"{live_server.url}/r/{code}")
    email = friend.locator('input[type="email"]')
    email.wait_for(state="visible")
    assert friend.get_by_text(OFFER_FR).or_(friend.get_by_text(OFFER_EN)).first.is_visible()
    friend.locator('input[type="checkbox"]').first.check()
    email.fill(FRIEND)
    friend.screenshot(path=artifacts / "program-editor-referee-widget.png", full_page=True)
    friend.locator('button[type="submit"]').first.click()
    deadline = time.monotonic() + 15
    referral = None
    while referral is None and time.monotonic() < deadline:
        referral = Referral.objects.filter(program=program, referee__email=FRIEND).first()
        time.sleep(0.2)
    assert referral is not None, "the widget did not register the friend"
    assert referral.status == ReferralStatus.REGISTERED
    assert referral.referee.consent_recontact is True
    friend_context.close()
