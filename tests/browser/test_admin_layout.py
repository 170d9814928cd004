"""Issue 15 §5 in Chromium: the Referral pages of the Wagtail admin and of Oscar's dashboard
without overlapping elements (bounding boxes of the title, the actions, any search form or
menu in the header), no Oscar element in Wagtail's pages, no script error (the date picker's
``initDateChooser``), and the date picker opening (screenshots in tests/artifacts)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import Program, Referral
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 30_000
OSCAR = "/shop/dashboard/referral/"
WAGTAIL_PAGES = {
    "dashboard": "/cms/parrain/",
    "email-designs": "/cms/snippets/parrain_wagtail/emaildesign/",
    "message-history": "/cms/parrain/messages/history/",
    "referrals": "/cms/parrain/referrals/",
    "programs": "/cms/snippets/parrain/program/",
    "badges-over-time": "/cms/parrain/badges/over-time/",
}
#: What Wagtail's slim header shows: the title (last breadcrumb), the actions, the search
#: box, the filters' toggle, and any field or menu another app would slip in.
WAGTAIL_HEADER = (
    "header nav ol > li:last-child, header input:not([type=hidden]), header select, "
    "header button, header a.button"
)
#: Oscar's page header (the title, the program switcher drawn by select2, the page's action
#: buttons) and the fields and buttons of the page's forms.
OSCAR_HEADER = (
    ".page-header h1, .page-header .select2-container, .page-header .btn, "
    "#parrain-contact-actions .btn, form .form-control:not(select), form .select2-container, "
    "form .btn, form input[type=checkbox]"
)
OVERLAPS = """(selector) => {
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 2 && r.height > 2 && getComputedStyle(el).visibility !== "hidden"
      && !el.closest("[hidden], .w-sr-only");
  };
  // A title's box spans the whole line, under a floated switcher too: measure its text.
  const box = (el) => {
    if (!["H1", "LI"].includes(el.tagName)) return el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    return range.getBoundingClientRect();
  };
  const els = [...document.querySelectorAll(selector)].filter(shown);
  const name = (el) => `${el.tagName.toLowerCase()}${el.name ? "[name=" + el.name + "]" : ""} `
    + JSON.stringify((el.innerText || el.value || "").trim().slice(0, 40));
  const overlaps = [];
  els.forEach((a, i) => els.slice(i + 1).forEach((b) => {
    if (a.contains(b) || b.contains(a)) return;
    const r = box(a), q = box(b);
    const w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
    const h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
    if (w > 1 && h > 1) overlaps.push([name(a), name(b)]);
  }));
  return { seen: els.map(name), overlaps };
}"""


@pytest.fixture
def admin(live_server: Any, settings: Any, browser: Any) -> Iterator[Any]:
    """A superuser's browser on two programs, one with a referral that led to an order."""
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False  # no call to wagtail.org
    settings.WAGTAILADMIN_BASE_URL = live_server.url
    program: Program = ProgramFactory(slug="boutique", name="Boutique")
    ProgramFactory(slug="atelier", name="Atelier Vélo")
    settings.PARRAIN_OSCAR = {"PROGRAM": program.slug}
    alice = enrol_referrer(program, "alice@example.com")
    invite_by_email(alice.contact, ["bob@example.com"])
    register_referee(program, alice.code, "bob@example.com", consent=True)
    record_order(
        program,
        OrderData(external_id="A-1", email="bob@example.com", amount=Decimal("80"), currency="EUR"),
    )
    get_user_model().objects.create_superuser("owner", "owner@shop.example", "pw-owner-2026")
    client = Client()
    client.login(username="owner", password="pw-owner-2026")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    context.set_default_timeout(TIMEOUT_MS)
    # Offline like a CI runner: nothing leaves the live server (Gravatar, CDNs).
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda r: r.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda message: (
            errors.append(f"{page.url}: {message.text}")
            if message.type == "error"
            and live_server.url in (message.location or {}).get("url", "")
            else None
        ),
    )
    yield page, live_server.url, program, errors
    context.close()


def overlaps(page: Any, selector: str) -> dict[str, Any]:
    return page.evaluate(OVERLAPS, selector)


@pytest.mark.parametrize("width", [1280, 1024])
def test_wagtail_referral_pages_have_a_clear_header_and_nothing_of_oscar(
    admin: Any, artifacts: Path, width: int
) -> None:
    page, url, _program, errors = admin
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in WAGTAIL_PAGES.items():
        page.goto(url + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=artifacts / f"wagtail-{name}-{width}.png")
        header = overlaps(page, WAGTAIL_HEADER)
        assert any(item.startswith("li ") for item in header["seen"]), (name, header)
        assert header["overlaps"] == [], (name, header)
        # Nothing of Oscar: its search box and "Sort by" menu, its styles and scripts.
        assert page.locator("[name=sort_by], #id_sort_by").count() == 0, name
        assert page.locator("link[href*='/oscar/'], script[src*='/oscar/']").count() == 0, name
    assert errors == []


def test_wagtail_exports_are_buttons_beside_the_title(admin: Any) -> None:
    page, url, _program, _errors = admin
    page.goto(url + WAGTAIL_PAGES["referrals"])
    csv = page.locator("header a.w-header-button", has_text="Download CSV")
    assert csv.is_visible()
    assert "export=csv" in csv.get_attribute("href")


def test_wagtail_dashboard_date_picker_opens_without_script_error(
    admin: Any, artifacts: Path
) -> None:
    page, url, _program, errors = admin
    page.goto(url + WAGTAIL_PAGES["dashboard"])
    page.locator("#id_start").click()
    picker = page.locator(".xdsoft_datetimepicker").first
    picker.wait_for(state="visible")
    page.screenshot(path=artifacts / "wagtail-dashboard-date-picker-1280.png")
    box, field = picker.bounding_box(), page.locator("#id_start").bounding_box()
    assert box["y"] >= field["y"] + field["height"] - 1  # under the field, not over it
    assert not [e for e in errors if "initDateChooser" in e], errors
    assert errors == []


def test_wagtail_dashboard_opens_on_the_program_last_chosen(admin: Any) -> None:
    page, url, program, _errors = admin
    page.goto(url + WAGTAIL_PAGES["dashboard"])
    assert page.locator("#id_program option:checked").inner_text() == "Atelier Vélo"  # by name
    page.locator("#id_program").select_option(label=program.name)
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")
    page.goto(url + WAGTAIL_PAGES["dashboard"])
    assert page.locator("#id_program option:checked").inner_text() == program.name


@pytest.mark.parametrize("width", [1280, 1024])
def test_oscar_referral_pages_have_a_clear_header(admin: Any, artifacts: Path, width: int) -> None:
    page, url, program, errors = admin
    page.set_viewport_size({"width": width, "height": 900})
    referral = Referral.objects.get(program=program)
    pages = {
        "dashboard": f"{OSCAR}?program={program.slug}",
        "settings": f"{OSCAR}program/?program={program.slug}",
        "referral-detail": f"{OSCAR}referrals/{referral.pk}/",
        "contacts": f"{OSCAR}contacts/?program={program.slug}",
    }
    for name, path in pages.items():
        page.goto(url + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=artifacts / f"oscar-referral-{name}-{width}.png", full_page=True)
        header = overlaps(page, OSCAR_HEADER)
        assert len(header["seen"]) >= 2, (name, header)  # the title and the switcher
        assert header["overlaps"] == [], (name, header)
    assert errors == []


def test_oscar_referral_row_leads_to_its_history(admin: Any, artifacts: Path) -> None:
    page, url, program, _errors = admin
    page.goto(f"{url}{OSCAR}referrals/?program={program.slug}")
    page.get_by_role("link", name="bob@example.com").click()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    assert page.locator("#parrain-referral-orders").get_by_text("A-1").is_visible()
    history = page.locator("#parrain-referral-history tbody tr")
    assert history.count() >= 3  # invited, registered, converted at least


def test_oscar_settings_form_is_laid_out_by_oscar(admin: Any) -> None:
    page, url, program, _errors = admin
    page.goto(f"{url}{OSCAR}program/?program={program.slug}")
    label = page.locator("label[for=id_name]").bounding_box()
    field = page.locator("#id_name").bounding_box()
    assert label["x"] + label["width"] <= field["x"]  # label beside its field, in a column
    assert page.locator("#id_name").evaluate("el => el.classList.contains('form-control')")


def test_oscar_contacts_have_import_and_export_buttons(admin: Any) -> None:
    page, url, program, _errors = admin
    page.goto(f"{url}{OSCAR}contacts/?program={program.slug}")
    page.get_by_role("link", name="Import contacts").click()
    page.wait_for_url(re.compile(r"/imports/upload/"))
    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export contacts (CSV)").click()
    assert download.value.suggested_filename == f"contacts-{program.slug}.csv"
