"""Issue 13 in Chromium, in Oscar's dashboard: the SMS editor counts segments as the owner
types, the email editor's "Preview" shows what the editor holds in the sandboxed frame,
and the scenario page shows the default scenario's timeline (screenshots in
tests/artifacts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import MessageTemplate, Program, ScenarioStep

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 30_000
BASE = "/shop/dashboard/referral/"


@pytest.fixture
def dashboard(live_server: Any, settings: Any, browser: Any) -> Any:
    program: Program = ProgramFactory(slug="boutique", name="Boutique")
    settings.PARRAIN_OSCAR = {"PROGRAM": program.slug}
    get_user_model().objects.create_superuser("owner", "owner@shop.example", "pw-owner-2026")
    client = Client()
    client.login(username="owner", password="pw-owner-2026")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1000})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page(), live_server.url, program
    context.close()


def test_sms_editor_counts_segments_while_typing(dashboard: Any, artifacts: Path) -> None:
    page, url, program = dashboard
    page.goto(f"{url}{BASE}messages/reward/sms/en/?program={program.slug}")
    counter = page.locator("#parrain-sms-segments")
    text = page.locator("textarea[name=text]")
    text.fill("Thanks! Your code: {{ reward_code }}")
    page.wait_for_function("document.querySelector('#parrain-sms-segments').dataset.segments")
    assert counter.get_attribute("data-segments") == "1"
    assert counter.get_attribute("data-encoding") == "GSM-7"
    text.fill("Merci ! " + "x" * 160)
    page.wait_for_function(
        "document.querySelector('#parrain-sms-segments').dataset.segments === '2'"
    )
    text.fill("Merci 🎁")  # an emoji: the whole text travels as UCS-2
    page.wait_for_function(
        "document.querySelector('#parrain-sms-segments').dataset.encoding === 'UCS-2'"
    )
    page.screenshot(path=artifacts / "oscar-sms-editor-1280.png", full_page=True)
    assert not MessageTemplate.objects.exists()  # typing saves nothing


def test_email_preview_shows_the_editor_content_before_saving(
    dashboard: Any, artifacts: Path
) -> None:
    page, url, program = dashboard
    page.goto(f"{url}{BASE}messages/friend_reminder/email/en/?program={program.slug}")
    assert page.get_by_text("{{ contact_first_name }}").first.is_visible()  # variables listed
    page.locator("textarea[name=html]").fill(
        "<mj-section><mj-column><mj-text>Still thinking about {{ offer_referee }}?"
        "</mj-text></mj-column></mj-section>"
    )
    page.locator("#parrain-preview-button").click()
    frame = page.frame_locator("#parrain-preview")
    frame.get_by_text("Still thinking about").wait_for()
    assert "{{" not in frame.locator("body").inner_text()
    page.screenshot(path=artifacts / "oscar-email-editor-1280.png", full_page=True)
    assert not MessageTemplate.objects.exists()


def test_scenario_page_shows_the_timeline(dashboard: Any, artifacts: Path) -> None:
    page, url, program = dashboard
    page.goto(f"{url}{BASE}scenario/?program={program.slug}")
    timeline = page.locator("#parrain-timeline")
    timeline.wait_for()
    steps = ScenarioStep.objects.filter(program=program).count()
    assert timeline.locator("tr[data-step]").count() == steps
    assert timeline.get_by_text("Invitation sent").is_visible()
    page.screenshot(path=artifacts / "oscar-scenario-1280.png", full_page=True)
