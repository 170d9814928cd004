"""Contact imports in Oscar's dashboard (Referral → Contact imports): the same flow as the
Django admin in the dashboard's look, its menu entry, permissions and refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from oscar.test.factories import UserFactory

from parrain.core.factories import ContactFactory
from parrain.core.models import Contact, ContactImport, Program
from parrain.core.models.choices import ImportStatus
from parrain.core.services import contact_imports
from tests.import_screens import GOOD_ROWS, customer_file, mapping_post

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
BASE = "/shop/dashboard/referral/imports/"


def signed_in(**user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(**user))
    return client


@pytest.fixture
def staff() -> Client:
    return signed_in(is_staff=True, is_superuser=True)


def _q(program: Program) -> str:
    return f"?program={program.slug}"


def test_upload_mapping_dry_run_confirm_and_report(
    staff: Client, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    ContactFactory(program=program, email="bob@example.com", first_name="Robert")
    listing = staff.get(BASE + _q(program)).content.decode()
    assert "Import contacts from a file" in listing and "No import yet." in listing
    assert "/shop/dashboard/referral/imports/" in staff.get("/shop/dashboard/").content.decode()

    response = staff.post(f"{BASE}upload/{_q(program)}", {"file": customer_file(GOOD_ROWS)})
    assert response.status_code == 302
    contact_import = ContactImport.objects.get()
    assert contact_import.program == program
    detail = f"{BASE}{contact_import.pk}/{_q(program)}"
    assert response["Location"] == detail

    page = staff.get(detail).content.decode()
    assert "form-control" in page and 'data-column="Prénom"' in page and "Ana" in page
    assert staff.post(detail, mapping_post(page)).status_code == 302

    page = staff.get(detail).content.decode()
    assert "Confirm the import" in page and "Download the invalid rows" in page
    assert not Contact.objects.filter(email="ana@example.com").exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(detail, {"action": "confirm"}).status_code == 302
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.DONE
    assert (contact_import.new_count, contact_import.updated_count) == (1, 1)
    assert contact_import.actor.startswith("oscar-dashboard:")

    page = staff.get(detail).content.decode()
    assert "Import finished:" in page and "/shop/dashboard/referral/contacts/" in page
    status = staff.get(f"{BASE}{contact_import.pk}/status/{_q(program)}").json()
    assert status["finished"] and status["counts"]["invalid"] == 1
    errors = staff.get(f"{BASE}{contact_import.pk}/invalid-rows/{_q(program)}")
    assert errors.status_code == 200
    assert b"not-an-email" in b"".join(errors.streaming_content)
    assert "badge-success" in staff.get(BASE + _q(program)).content.decode()


def test_progress_page_has_the_polling_bar(staff: Client, program: Program) -> None:
    contact_import = contact_imports.start(
        program, customer_file(GOOD_ROWS), "clients.csv", actor="x"
    )
    contact_import = contact_imports.check(contact_import, actor="x")
    contact_imports.confirm(contact_import, actor="x")  # queued: the task runs on commit

    page = staff.get(f"{BASE}{contact_import.pk}/{_q(program)}").content.decode()

    assert "progress-bar" in page and "parrain/import_progress.js" in page
    assert f'data-parrain-import-status="{BASE}{contact_import.pk}/status/' in page


def test_refusals_are_shown_on_the_form(staff: Client, program: Program) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    sheet = SimpleUploadedFile("clients.pdf", b"%PDF-1.4 ...")
    response = staff.post(f"{BASE}upload/{_q(program)}", {"file": sheet})
    assert response.status_code == 400
    assert "is not a CSV nor an XLSX file" in response.content.decode()

    contact_import = contact_imports.start(
        program, customer_file(GOOD_ROWS), "clients.csv", actor="x"
    )
    detail = f"{BASE}{contact_import.pk}/{_q(program)}"
    page = staff.get(detail).content.decode()
    response = staff.post(detail, mapping_post(page, **{"E-mail": ""}))
    assert response.status_code == 400 and "alert-danger" in response.content.decode()
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.UPLOADED

    other = contact_imports.start(program, customer_file(GOOD_ROWS), "b.csv", actor="x")
    contact_imports.confirm(contact_imports.check(other, actor="x"), actor="x")
    response = staff.post(f"{BASE}upload/{_q(program)}", {"file": customer_file(GOOD_ROWS)})
    assert response.status_code == 400
    assert "Another import of this program is under way" in response.content.decode()


def test_non_staff_and_staff_without_permission_get_no_access(program: Program) -> None:
    contact_import = contact_imports.start(
        program, customer_file(GOOD_ROWS), "clients.csv", actor="x"
    )
    urls = [
        BASE,
        f"{BASE}upload/",
        f"{BASE}{contact_import.pk}/",
        f"{BASE}{contact_import.pk}/status/",
    ]

    shopper = signed_in()
    for url in urls:
        response = shopper.get(url + _q(program))
        assert response.status_code in (302, 403), url
        assert response.status_code == 403 or "login" in response["Location"]

    clerk_user = UserFactory(is_staff=True)
    clerk = Client(HTTP_ACCEPT_LANGUAGE="en")
    clerk.force_login(clerk_user)
    assert clerk.get(BASE + _q(program)).status_code == 403

    clerk_user.user_permissions.add(Permission.objects.get(codename="view_contactimport"))
    clerk.force_login(clerk_user)
    assert clerk.get(BASE + _q(program)).status_code == 200
    assert clerk.get(f"{BASE}upload/{_q(program)}").status_code == 403
    detail = f"{BASE}{contact_import.pk}/{_q(program)}"
    assert clerk.post(detail, {"action": "mapping", "column_0": "email"}).status_code == 403
