"""Contact imports in the Django admin: upload → mapping → dry run → confirm → progress →
report, the status JSON, the invalid rows' download, the list of past imports, who may
see and do what, and the refusals (shown on the form, nothing lost)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import Contact, ContactImport, Program
from parrain.core.models.choices import ImportStatus
from parrain.core.services import contact_imports
from tests.import_screens import GOOD_ROWS, customer_file, mapping_post

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BASE = "/admin/parrain/contactimport/"
UPLOAD = f"{BASE}upload/"


@pytest.fixture
def program() -> Program:
    return ProgramFactory(name="Boutique", languages=["fr", "en"], default_language="fr")


def _flow(pk: int) -> str:
    return f"{BASE}{pk}/flow/"


def _upload(client: Client, rows: list[str], **extra: Any) -> Any:
    return client.post(UPLOAD, {"file": customer_file(rows), **extra}, **EN)


def _uploaded(client: Client, rows: list[str]) -> ContactImport:
    response = _upload(client, rows)
    assert response.status_code == 302, response.content.decode()[:3000]
    return ContactImport.objects.get()


def _checked(client: Client, rows: list[str]) -> ContactImport:
    contact_import = _uploaded(client, rows)
    page = client.get(_flow(contact_import.pk), **EN).content.decode()
    response = client.post(_flow(contact_import.pk), mapping_post(page), **EN)
    assert response.status_code == 302, response.content.decode()[:3000]
    contact_import.refresh_from_db()
    return contact_import


def test_upload_mapping_dry_run_confirm_and_report(
    admin_client: Client, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    ContactFactory(program=program, email="bob@example.com", first_name="Robert")

    # Upload: the mapping screen shows each column, samples and the guessed field
    contact_import = _uploaded(admin_client, GOOD_ROWS)
    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()
    assert "Match the file" in page
    assert 'data-column="E-mail"' in page and "ana@example.com" in page
    assert '<option value="email" selected' in page

    # Mapping → the dry run, with its counts and the first errors; nothing written yet
    response = admin_client.post(_flow(contact_import.pk), mapping_post(page), **EN)
    assert response.status_code == 302
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.CHECKED
    assert contact_import.dry_run == {"new": 1, "updated": 1, "unchanged": 0, "invalid": 1}
    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()
    assert "Dry run" in page and "Confirm the import" in page
    assert '<td data-parrain-import-count="invalid" data-count="invalid">1</td>' in page
    assert "<td>4</td>" in page  # the invalid row's number (the header is row 1)
    assert not Contact.objects.filter(email="ana@example.com").exists()
    invalid = admin_client.get(f"{BASE}{contact_import.pk}/invalid-rows/")
    text = b"".join(invalid.streaming_content).decode("utf-8-sig")
    assert [row["E-mail"] for row in csv.DictReader(io.StringIO(text), delimiter=",")] == [
        "not-an-email"
    ]

    # Confirm → the task runs (eagerly) → the report
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_flow(contact_import.pk), {"action": "confirm"}, **EN)
    assert response.status_code == 302
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.DONE
    assert Contact.objects.get(email="ana@example.com").first_name == "Ana"
    assert Contact.objects.get(email="bob@example.com").first_name == "Bob"
    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()
    assert "Import finished:" in page and "See the contacts" in page
    assert "Download the invalid rows" in page

    status = admin_client.get(f"{BASE}{contact_import.pk}/status/").json()
    assert status["status"] == "done" and status["finished"] is True
    assert status["counts"] == {"new": 1, "updated": 1, "unchanged": 0, "invalid": 1}
    assert status["rows_done"] == status["total_rows"] == 3

    errors = admin_client.get(f"{BASE}{contact_import.pk}/invalid-rows/")
    assert errors.status_code == 200 and errors["Content-Disposition"].startswith("attachment")

    # The list of past imports: status, counts, who
    listing = admin_client.get(BASE, **EN).content.decode()
    assert "clients.csv" in listing and "Done" in listing and "admin" in listing


def test_progress_page_polls_the_status_while_the_import_runs(
    admin_client: Client, program: Program
) -> None:
    contact_import = _checked(admin_client, GOOD_ROWS)
    # Confirmed, but the task has not run yet (on-commit callbacks are not executed)
    response = admin_client.post(_flow(contact_import.pk), {"action": "confirm"}, **EN)
    assert response.status_code == 302

    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()
    assert "parrain/import_progress.js" in page
    assert f'data-parrain-import-status="{BASE}{contact_import.pk}/status/"' in page
    assert "<progress" in page
    status = admin_client.get(f"{BASE}{contact_import.pk}/status/").json()
    assert status["status"] == "queued" and status["finished"] is False


def test_a_file_that_is_not_csv_nor_xlsx_is_refused_on_the_form(
    admin_client: Client, program: Program
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    picture = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(200))
    response = admin_client.post(UPLOAD, {"file": picture}, **EN)

    assert response.status_code == 400
    assert "is not a CSV nor an XLSX file" in response.content.decode()
    assert not ContactImport.objects.exists()


def test_binary_content_under_a_csv_name_is_refused_by_the_service(
    admin_client: Client, program: Program
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("clients.csv", b"\x00\x01\x02PK\x03\x04" + bytes(300))
    response = admin_client.post(UPLOAD, {"file": fake}, **EN)

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not ContactImport.objects.exists()


def test_too_many_rows_are_refused(
    admin_client: Client, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_imports, "MAX_ROWS", 2)
    response = _upload(admin_client, GOOD_ROWS)

    assert response.status_code == 400
    assert "more than 2 rows" in response.content.decode()
    assert not ContactImport.objects.exists()


def test_a_mapping_without_email_nor_external_id_is_refused_and_kept(
    admin_client: Client, program: Program
) -> None:
    contact_import = _uploaded(admin_client, GOOD_ROWS)
    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()

    post = mapping_post(page, **{"E-mail": ""})
    response = admin_client.post(_flow(contact_import.pk), post, **EN)

    assert response.status_code == 400
    page = response.content.decode()
    assert "email" in page.lower() and "errorlist" in page
    assert '<option value="first_name" selected' in page  # the choices made stay
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.UPLOADED


def test_another_import_running_is_refused(admin_client: Client, program: Program) -> None:
    first = _checked(admin_client, GOOD_ROWS)
    admin_client.post(_flow(first.pk), {"action": "confirm"}, **EN)  # queued, holds the slot

    response = _upload(admin_client, GOOD_ROWS)

    assert response.status_code == 400
    assert "Another import of this program is under way" in response.content.decode()
    assert ContactImport.objects.count() == 1


def test_program_is_chosen_when_there_are_several(admin_client: Client, program: Program) -> None:
    other = ProgramFactory(name="Zeta")
    page = admin_client.get(UPLOAD, **EN).content.decode()
    assert 'name="program"' in page

    response = _upload(admin_client, GOOD_ROWS, program=other.pk)

    assert response.status_code == 302
    assert ContactImport.objects.get().program == other


def test_cancel_before_confirming(admin_client: Client, program: Program) -> None:
    contact_import = _checked(admin_client, GOOD_ROWS)

    response = admin_client.post(f"{BASE}{contact_import.pk}/cancel/", **EN)

    assert response.status_code == 302
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.CANCELLED
    assert not Contact.objects.filter(email="ana@example.com").exists()


def test_non_staff_user_gets_no_access(client: Client, program: Program) -> None:
    user = User.objects.create_user("shopper", password="pw")
    client.force_login(user)
    contact_import = contact_imports.start(
        program, customer_file(GOOD_ROWS), "clients.csv", actor="x"
    )

    for url in (BASE, UPLOAD, _flow(contact_import.pk), f"{BASE}{contact_import.pk}/status/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert client.post(UPLOAD, {"file": customer_file(GOOD_ROWS)}).status_code == 302
    assert ContactImport.objects.count() == 1


def test_staff_without_the_permission_gets_403_and_viewers_cannot_import(
    client: Client, program: Program
) -> None:
    staff = User.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(staff)
    contact_import = contact_imports.start(
        program, customer_file(GOOD_ROWS), "clients.csv", actor="x"
    )
    assert client.get(_flow(contact_import.pk)).status_code == 403
    assert client.get(f"{BASE}{contact_import.pk}/invalid-rows/").status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_contactimport"))
    staff = User.objects.get(pk=staff.pk)
    client.force_login(staff)
    assert client.get(_flow(contact_import.pk), **EN).status_code == 200
    assert client.get(UPLOAD).status_code == 403
    post = {"action": "mapping", "column_0": "email"}
    assert client.post(_flow(contact_import.pk), post).status_code == 403
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.UPLOADED


def test_an_excel_file_goes_through_with_dates_and_numbers_shown_as_samples(
    admin_client: Client, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    xlsx = Path(__file__).resolve().parent.parent / "fixtures" / "contacts" / "excel_customers.xlsx"
    upload = SimpleUploadedFile("clients.xlsx", xlsx.read_bytes())
    assert admin_client.post(UPLOAD, {"file": upload}, **EN).status_code == 302
    contact_import = ContactImport.objects.get()
    assert contact_import.file_kind == "xlsx"

    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()
    assert 'data-column="Prénom"' in page
    assert admin_client.post(_flow(contact_import.pk), mapping_post(page), **EN).status_code == 302
    contact_import.refresh_from_db()
    assert contact_import.dry_run["new"] == 4

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(_flow(contact_import.pk), {"action": "confirm"}, **EN)
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.DONE
    assert Contact.objects.filter(program=program).count() == 4


def test_a_big_file_shows_the_dry_run_in_progress_then_its_report(
    admin_client: Client, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contact_imports, "INLINE_CHECK_ROWS", 1)  # checked by the worker
    contact_import = _checked(admin_client, GOOD_ROWS)
    assert contact_import.status == ImportStatus.CHECKING

    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()
    assert "Dry run in progress: nothing is written" in page
    assert 'data-parrain-import-state="checking"' in page

    contact_imports.run(contact_import.pk, dry_run=True, task_id=contact_import.task_id)
    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()
    assert "Confirm the import" in page


def test_a_failed_import_is_resumed_from_its_report(
    admin_client: Client, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    contact_import = _checked(admin_client, GOOD_ROWS)
    admin_client.post(_flow(contact_import.pk), {"action": "confirm"}, **EN)
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ImportStatus.FAILED, failure="worker lost"
    )
    page = admin_client.get(_flow(contact_import.pk), **EN).content.decode()
    assert "worker lost" in page and "Resume the import" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_flow(contact_import.pk), {"action": "retry"}, **EN)

    assert response.status_code == 302
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.DONE
    assert Contact.objects.filter(email="ana@example.com").exists()
