"""Issue 14 in Chromium, in the Django admin: a shop owner uploads a customer file, checks
the column mapping, reads the dry run, confirms, watches the progress bar move (it polls
the import's JSON status every second) and lands on the final report (screenshots in
tests/artifacts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, ContactImport, Program
from parrain.core.models.choices import ImportStatus
from parrain.core.services import contact_imports

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 30_000
FILE = Path(__file__).resolve().parent.parent / "fixtures" / "contacts" / "bad_rows.csv"
BASE = "/admin/parrain/contactimport/"


@pytest.fixture
def admin_page(live_server: Any, browser: Any, settings: Any) -> Any:
    settings.PARRAIN_IMPORT_BATCH = 50  # the fixture's 200 rows in 4 batches
    program: Program = ProgramFactory(name="Boutique", languages=["fr", "en"])
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


def test_upload_mapping_dry_run_confirm_progress_report(
    admin_page: Any, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, url, program = admin_page
    # The task is run below, by this test, so the page can be watched while it runs.
    queued: list[int] = []
    monkeypatch.setattr(
        contact_imports,
        "_enqueue_after_commit",
        lambda pk, task_id, *, dry_run: queued.append(pk) if not dry_run else None,
    )

    # Upload
    page.goto(f"{url}{BASE}")
    page.get_by_role("link", name="Import contacts from a file").click()
    page.set_input_files("#id_file", str(FILE))
    page.get_by_role("button", name="Upload and match the columns").click()

    # Mapping: one row per column, samples, the guessed field selected
    page.wait_for_selector("#parrain-import-mapping")
    email_row = page.locator("tr[data-column='E-mail']")
    assert email_row.locator("select").input_value() == "email"
    assert "@" in email_row.locator("code").first.inner_text()
    page.screenshot(path=artifacts / "import-admin-mapping-1280.png", full_page=True)
    page.get_by_role("button", name="Run the dry run").click()

    # Dry run: counts and the first errors, nothing written
    page.wait_for_selector("#parrain-import-counts")
    invalid = page.locator("#parrain-import-counts [data-count='invalid']").inner_text()
    assert int(invalid) == 20
    assert page.locator("#parrain-import-errors tbody tr").count() == 20
    assert page.locator("#parrain-import-errors-file").is_visible()
    assert not Contact.objects.filter(program=program).exists()
    page.screenshot(path=artifacts / "import-admin-dry-run-1280.png", full_page=True)
    page.get_by_role("button", name="Confirm the import").click()

    # Progress: the bar waits at 0, then moves while the task commits batch after batch
    page.wait_for_selector("#parrain-import-progress progress")
    assert queued, "the confirmation queues the import"
    commit = contact_imports._commit
    batches: list[int] = []

    def watched_commit(*args: Any, **kwargs: Any) -> None:
        commit(*args, **kwargs)
        batches.append(1)
        if len(batches) == 2:  # half-way: the polling page shows it
            page.wait_for_function(
                "document.querySelector('[data-parrain-import-bar]').value >= 50"
            )
            page.screenshot(path=artifacts / "import-admin-progress-1280.png", full_page=True)

    monkeypatch.setattr(contact_imports, "_commit", watched_commit)
    contact_imports.run(queued[0])

    # The report: the page turns into it by itself
    page.wait_for_selector("#parrain-import-report")
    contact_import = ContactImport.objects.get()
    assert contact_import.status == ImportStatus.DONE
    assert page.locator("#parrain-import-counts [data-count='invalid']").inner_text() == "20"
    assert page.locator("#parrain-import-errors-file").is_visible()
    new = int(page.locator("#parrain-import-counts [data-count='new']").inner_text())
    assert new == Contact.objects.filter(program=program).count() == 180
    page.screenshot(path=artifacts / "import-admin-report-1280.png", full_page=True)

    # The invalid rows' download and the list of imports
    with page.expect_download() as download:
        page.locator("#parrain-import-errors-file").click()
    assert download.value.suggested_filename == f"invalid-rows-{contact_import.pk}.csv"
    page.get_by_role("link", name="All imports").click()
    assert "bad_rows.csv" in page.locator("#result_list").inner_text()
