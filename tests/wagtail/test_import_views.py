"""Contact imports in the Wagtail admin's Referral menu: the same flow as the Django admin
in Wagtail's look, its menu item, permissions and refusals."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from parrain.core.factories import ContactFactory
from parrain.core.models import Contact, ContactImport
from parrain.core.models.choices import ImportStatus
from parrain.core.services import contact_imports
from tests.import_screens import GOOD_ROWS, customer_file, mapping_post

from .helpers import default_site, make_program

LIST = reverse("parrain_wagtail:import_list")
UPLOAD = reverse("parrain_wagtail:import_upload")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DENIED = "Sorry, you do not have permission to access this area."


def detail(contact_import: ContactImport) -> str:
    return reverse("parrain_wagtail:import_detail", args=[contact_import.pk])


def editors() -> Group:
    """Wagtail's "Editors" group (made by its migration; rebuilt after a flush)."""
    group, _created = Group.objects.get_or_create(name="Editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    return group


class ImportFlowTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        default_site()
        self.program = make_program()
        self.program.languages = ["fr", "en"]
        self.program.save()
        self.login()

    def test_upload_mapping_dry_run_confirm_and_report(self) -> None:
        ContactFactory(program=self.program, email="bob@example.com", first_name="Robert")
        menu = self.client.get(reverse("wagtailadmin_home"), **EN).content.decode()
        self.assertIn(LIST, menu)
        self.assertContains(self.client.get(LIST, **EN), "Import contacts from a file")

        response = self.client.post(UPLOAD, {"file": customer_file(GOOD_ROWS)}, **EN)
        contact_import = ContactImport.objects.get()
        self.assertRedirects(response, detail(contact_import))

        page = self.client.get(detail(contact_import), **EN).content.decode()
        self.assertIn('data-column="E-mail"', page)
        self.assertIn("ana@example.com", page)
        response = self.client.post(detail(contact_import), mapping_post(page), **EN)
        self.assertEqual(response.status_code, 302)

        page = self.client.get(detail(contact_import), **EN)
        self.assertContains(page, "Confirm the import")
        self.assertContains(page, "Download the invalid rows")
        self.assertFalse(Contact.objects.filter(email="ana@example.com").exists())

        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(detail(contact_import), {"action": "confirm"}, **EN)
        contact_import.refresh_from_db()
        self.assertEqual(contact_import.status, ImportStatus.DONE)
        self.assertTrue(contact_import.actor.startswith("wagtail:"))
        self.assertEqual(Contact.objects.get(email="bob@example.com").first_name, "Bob")
        page = self.client.get(detail(contact_import), **EN)
        self.assertContains(page, "Import finished")
        status = self.client.get(
            reverse("parrain_wagtail:import_status", args=[contact_import.pk])
        ).json()
        self.assertEqual(status["counts"], {"new": 1, "updated": 1, "unchanged": 0, "invalid": 1})
        errors = self.client.get(reverse("parrain_wagtail:import_errors", args=[contact_import.pk]))
        self.assertIn(b"not-an-email", b"".join(errors.streaming_content))
        listing = self.client.get(LIST, **EN).content.decode()
        self.assertIn("clients.csv", listing)
        self.assertIn("Done", listing)

    def test_the_upload_offers_the_program_the_editor_last_chose(self) -> None:
        other = make_program(slug="atelier", name="Atelier")  # first by name
        response = self.client.get(UPLOAD, **EN)
        self.assertEqual(response.context["form"]["program"].value(), other.pk)

        self.client.post(UPLOAD, {"program": self.program.pk, "file": customer_file(GOOD_ROWS)})
        self.assertEqual(ContactImport.objects.get().program, self.program)
        response = self.client.get(UPLOAD, **EN)
        self.assertEqual(response.context["form"]["program"].value(), self.program.pk)

    def test_progress_page_polls(self) -> None:
        contact_import = contact_imports.start(
            self.program, customer_file(GOOD_ROWS), "clients.csv", actor="x"
        )
        contact_import = contact_imports.check(contact_import, actor="x")
        contact_imports.confirm(contact_import, actor="x")

        page = self.client.get(detail(contact_import), **EN)

        self.assertContains(page, "<progress")
        self.assertContains(page, "parrain/import_progress.js")

    def test_refusals_are_shown_on_the_form(self) -> None:
        response = self.client.post(
            UPLOAD, {"file": SimpleUploadedFile("notes.docx", b"PK\x03\x04 not a sheet")}, **EN
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "is not a CSV nor an XLSX file", status_code=400)

        contact_import = contact_imports.start(
            self.program, customer_file(GOOD_ROWS), "clients.csv", actor="x"
        )
        page = self.client.get(detail(contact_import), **EN).content.decode()
        post = mapping_post(page, **{"E-mail": ""})
        response = self.client.post(detail(contact_import), post, **EN)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "help-critical", status_code=400)
        contact_import.refresh_from_db()
        self.assertEqual(contact_import.status, ImportStatus.UPLOADED)


class ImportPermissionTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.contact_import = contact_imports.start(
            self.program, customer_file(GOOD_ROWS), "clients.csv", actor="x"
        )

    def test_non_staff_user_gets_no_access(self) -> None:
        user = self.create_user("shopper", password="pw")
        self.client.force_login(user)
        for url in (LIST, UPLOAD, detail(self.contact_import)):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 302, url)
            self.assertIn("login", response["Location"])

    def test_editor_without_the_permission_is_refused_and_viewer_cannot_import(self) -> None:
        default_site()
        group = editors()
        user = self.create_user("editor", password="pw")
        user.groups.add(group)
        self.client.force_login(user)
        response = self.client.get(LIST, follow=True, **EN)
        self.assertContains(response, DENIED)
        self.assertNotIn(LIST, self.client.get(reverse("wagtailadmin_home")).content.decode())

        group.permissions.add(Permission.objects.get(codename="view_contactimport"))
        self.assertEqual(self.client.get(LIST, **EN).status_code, 200)
        self.assertEqual(self.client.get(UPLOAD).status_code, 302)  # denied: to the home
        post = {"action": "mapping", "column_0": "email"}
        response = self.client.post(detail(self.contact_import), post)
        self.assertRedirects(response, reverse("wagtailadmin_home"), fetch_redirect_response=False)
        self.contact_import.refresh_from_db()
        self.assertEqual(self.contact_import.status, ImportStatus.UPLOADED)
