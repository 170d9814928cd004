"""The editors' live SMS counter (core/static/parrain/sms_counter.js) in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

import parrain.core

COUNTER_JS = Path(parrain.core.__file__).parent / "static" / "parrain" / "sms_counter.js"

PAGE = """<!doctype html><html lang="{lang}"><body>
<textarea id="sms" data-parrain-sms-counter="count"
          data-parrain-sms-variables='{{"first_name": "Camille"}}'></textarea>
<p id="count"></p>
<textarea id="other" data-parrain-sms-counter=""></textarea>
</body></html>"""


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def open_page(page, lang: str = "en") -> None:
    page.set_content(PAGE.format(lang=lang))
    page.add_script_tag(content=COUNTER_JS.read_text())


def test_the_count_follows_the_text_as_it_is_typed(page) -> None:
    open_page(page)
    count = page.locator("#count")
    assert count.text_content() == "0 SMS"
    page.fill("#sms", "a" * 160)
    assert count.text_content() == "1 SMS · 160/160 · GSM-7"
    page.fill("#sms", "a" * 161)
    assert count.text_content() == "2 SMS · 161/306 · GSM-7"
    page.fill("#sms", "Votre cadeau 🎁")
    assert count.text_content() == "1 SMS · 15/70 · UCS-2"  # the emoji takes two UTF-16 units


def test_variables_count_as_their_example_value(page) -> None:
    open_page(page)
    page.fill("#sms", "Bonjour {{ first_name }} !{% if x %}{% endif %}")
    assert page.locator("#count").get_attribute("data-segments") == "1"
    assert page.locator("#count").text_content() == "1 SMS · 17/160 · GSM-7"  # "Bonjour Camille !"


def test_a_textarea_without_a_target_gets_its_own_counter(page) -> None:
    open_page(page, lang="fr")
    page.fill("#other", "€" * 81)
    counter = page.locator("#other + p.parrain-sms-counter")
    assert counter.text_content() == "2 SMS · 162/306 · GSM-7"
