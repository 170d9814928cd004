"""The setup checklist turning green step by step, and the widget code page's live preview
of the real widget (issue 15 §2), in the Django admin of a live server. Screenshots in
tests/artifacts/: setup-checklist-*.png and snippet-generator-*.png."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from parrain.core.factories import ProgramFactory
from parrain.core.models import ContactImport, Program, RewardRule
from parrain.core.models.choices import ImportStatus, RewardKind, Side

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server: Any, settings: Any) -> dict[str, Any]:
    cache.clear()
    settings.PARRAIN_BASE_URL = live_server.url
    settings.LANGUAGE_CODE = "en"
    program = ProgramFactory(
        slug="setup-demo",
        name="Setup demo",
        rules=False,
        landing_url="",
        allowed_origins=[live_server.url],
    )
    get_user_model().objects.create_superuser("owner", "owner@example.com", "pw")
    return {"url": live_server.url, "program": program}


def signed_in(browser: Any, site: dict[str, Any]) -> Any:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site["url"])
    page = context.new_page()
    page.goto(f"{site['url']}/admin/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    return page


def done_steps(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        ".parrain-setup li[data-done=true]", "items => items.map(i => i.dataset.step)"
    )


def test_the_checklist_turns_green_step_by_step(
    browser: Any, site: dict[str, Any], artifacts: Path
) -> None:
    program: Program = site["program"]
    page = signed_in(browser, site)
    change = f"{site['url']}/admin/parrain/program/{program.pk}/change/"
    shots = iter(range(1, 20))

    def look(expected: list[str]) -> None:
        page.goto(change)
        assert done_steps(page) == expected
        page.locator(".parrain-setup").screenshot(
            path=str(artifacts / f"setup-checklist-{next(shots)}.png")
        )

    # A new program: every channel and the default scenario are on, the rest is to do
    look(["channels", "scenario"])
    # Step 2 of the seed: the offer (both sides)
    for side, kind in (
        (Side.REFERRER, RewardKind.FIXED_AMOUNT),
        (Side.REFEREE, RewardKind.PERCENTAGE),
    ):
        RewardRule.objects.create(program=program, side=side, kind=kind, value=Decimal(10))
    look(["offer", "channels", "scenario"])
    # Step 3: the landing page linked
    Program.objects.filter(pk=program.pk).update(landing_url=f"{site['url']}/widgets/")
    look(["offer", "landing", "channels", "scenario"])
    # Step 4: the real widget on a real page of an allowed origin (the sandbox's widget page)
    visitor = browser.new_context(locale="en-US")  # a shop visitor, not the signed-in owner
    shop = visitor.new_page()
    shop.goto(f"{site['url']}/widgets/?program={program.slug}")
    shop.locator("#referrer parrain-widget").get_by_role("button", name="Get my link").wait_for()
    visitor.close()
    look(["offer", "landing", "widget", "channels", "scenario"])
    assert "Last seen" in page.locator('li[data-step="widget"]').inner_text()
    # Step 7: the owner marks the shipped messages as reviewed, from the checklist
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as reviewed").click()
    page.get_by_text("The messages are marked as reviewed.").wait_for()
    assert "messages" in done_steps(page)
    # Step 8: a contact import done
    ContactImport.objects.create(program=program, status=ImportStatus.DONE)
    look(["offer", "landing", "widget", "channels", "scenario", "messages", "contacts"])
    assert "7 of 7 steps done." in page.locator(".parrain-setup").inner_text()
    # The checklist's widget link leads to the widget code page
    page.locator('li[data-step="widget"] a').click()
    page.wait_for_selector("[data-snippet-code]")


def test_the_snippet_generator_previews_the_real_widget_and_follows_the_options(
    browser: Any, site: dict[str, Any], artifacts: Path
) -> None:
    program: Program = site["program"]
    for side, kind in (
        (Side.REFERRER, RewardKind.FIXED_AMOUNT),
        (Side.REFEREE, RewardKind.PERCENTAGE),
    ):
        RewardRule.objects.create(program=program, side=side, kind=kind, value=Decimal(10))
    page = signed_in(browser, site)
    page.goto(f"{site['url']}/admin/parrain/program/{program.pk}/widget-code/")
    preview = page.frame_locator("iframe[data-snippet-preview]")
    # The real widget, drawn by widget.js from the program's configuration
    preview.get_by_role("button", name="Get my link").wait_for()
    page.screenshot(path=str(artifacts / "snippet-generator-referrer.png"), full_page=True)
    # Another kind, language, colour and title: the snippet and the preview follow
    page.select_option("#id_kind", "referee")
    page.select_option("#id_language", "fr")
    page.fill("#id_title", "Un cadeau pour vous")
    page.locator("#id_colour").evaluate(
        "el => { el.value = '#cc3300'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    preview.get_by_text("Un cadeau pour vous").wait_for()
    preview.get_by_label("Votre code de parrainage").wait_for()
    widget = preview.locator("parrain-widget")
    assert widget.get_attribute("kind") == "referee"
    assert widget.get_attribute("colour") == "#cc3300"
    code = page.locator("[data-snippet-code]").input_value()
    assert 'data-parrain-widget="referee"' in code and 'lang="fr"' in code
    assert 'data-parrain-colour="#cc3300"' in code and program.public_key in code
    assert "kind=referee" in page.url  # the address keeps the options
    page.screenshot(path=str(artifacts / "snippet-generator-referee.png"), full_page=True)
    # Copy
    page.get_by_role("button", name="Copy the code").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == code
    # The preview is not the widget placed on a page of the shop
    program.refresh_from_db()
    assert program.widget_first_seen_at is None
