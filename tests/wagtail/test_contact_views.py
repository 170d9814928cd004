"""Contacts in the Wagtail admin's Referral menu: the list (search, filters, pages), the
contact page with the consent history, the JSON export (audited), the erasure after a
confirmation page, the list's CSV export and import buttons, and the permissions."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from django.contrib.auth.models import Group, Permission, User
from django.test import TestCase
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from parrain.core.factories import ContactFactory
from parrain.core.models import AuditEvent, Contact, Referral
from parrain.core.models.choices import ConsentChannel, ConsentSource
from parrain.core.services import consents

from .helpers import default_site, make_program

LIST = reverse("parrain_wagtail:contact_list")
RESULTS = reverse("parrain_wagtail:contact_list_results")
EXPORT_LIST = reverse("parrain_wagtail:contact_list_export")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TEXT = "I agree that Maison may send me offers by email."


def page(contact: Contact) -> str:
    return reverse("parrain_wagtail:contact_detail", args=[contact.pk])


def export(contact: Contact) -> str:
    return reverse("parrain_wagtail:contact_export", args=[contact.pk])


def erase(contact: Contact) -> str:
    return reverse("parrain_wagtail:contact_erase", args=[contact.pk])


def editor(*codenames: str) -> User:
    """A Wagtail editor (admin access) with these permissions on the core's models."""
    user = User.objects.create_user("marie", password="x")
    group, _created = Group.objects.get_or_create(name="Editors")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="parrain")
        )
    return user


class ContactPagesTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        default_site()
        self.program = make_program()
        self.program.time_zone = "Europe/Paris"
        self.program.save()
        self.zoe = ContactFactory(
            program=self.program, email="zoe@example.com", first_name="Zoé", last_name="Roux"
        )
        consents.record(
            self.zoe,
            ConsentChannel.EMAIL,
            True,
            source=ConsentSource.WIDGET,
            at=datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
            text=TEXT,
        )
        consents.record(
            self.zoe,
            ConsentChannel.EMAIL,
            False,
            source=ConsentSource.UNSUBSCRIBE,
            at=datetime(2026, 7, 1, 8, 30, tzinfo=UTC),
        )

    def test_the_menu_and_the_list_search_filter_and_paginate(self) -> None:
        self.login()
        for number in range(30):
            ContactFactory(program=self.program, email=f"client{number}@example.com")
        menu = self.client.get(reverse("wagtailadmin_home"), **EN).content.decode()
        self.assertIn(LIST, menu)

        listing = self.client.get(LIST, **EN)
        self.assertContains(listing, "Contacts")
        self.assertContains(listing, "Page 1 of 2")
        self.assertContains(listing, "Export contacts (CSV)")
        self.assertContains(listing, "Import contacts from a file")
        self.assertContains(listing, reverse("parrain_wagtail:import_upload"))

        found = self.client.get(RESULTS, {"q": "roux"}, **EN).content.decode()
        self.assertIn("zoe@example.com", found)
        self.assertIn(page(self.zoe), found)
        self.assertNotIn("client1@example.com", found)

        customers = self.client.get(LIST, {"is_customer": "true"}, **EN).content.decode()
        self.assertNotIn("zoe@example.com", customers)

    def test_the_contact_page_shows_the_consent_history_in_the_programs_time_zone(
        self,
    ) -> None:
        self.login()
        response = self.client.get(page(self.zoe), **EN)
        self.assertTemplateUsed(response, "parrain/includes/consent_history.html")
        html = response.content.decode()
        self.assertIn('class="listing parrain-consents"', html)
        self.assertIn("When (Europe/Paris)", html)
        self.assertIn("2026-06-01 12:00", html)  # 10:00 UTC in Paris, summer time
        self.assertIn("2026-07-01 10:30", html)
        self.assertIn("Given", html)
        self.assertIn("Withdrawn or refused", html)
        self.assertIn("Referral widget", html)
        self.assertIn(consents.text_version(TEXT), html)
        self.assertIn(TEXT, html)
        self.assertIn(export(self.zoe), html)
        self.assertIn(erase(self.zoe), html)
        self.assertIn(f"{reverse('parrain_wagtail:message_history')}?contact={self.zoe.pk}", html)

    def test_the_export_is_the_cores_json_download_audited_with_the_editor(self) -> None:
        user = self.login()
        response = self.client.get(export(self.zoe))
        self.assertEqual(response["Content-Type"], "application/json; charset=utf-8")
        self.assertIn("attachment;", response["Content-Disposition"])
        data = json.loads(response.content)
        self.assertEqual(data["contact"]["email"], "zoe@example.com")
        self.assertEqual(len(data["consents"]), 2)
        event = AuditEvent.objects.get(action="contact.exported")
        self.assertEqual(event.actor, f"wagtail:{user.pk}")

    def test_erasure_asks_first_then_erases_through_the_core(self) -> None:
        user = self.login()
        confirm = self.client.get(erase(self.zoe), **EN)
        self.assertContains(confirm, "this cannot be undone")
        self.assertContains(confirm, "Yes, erase")
        self.assertFalse(Contact.objects.get(pk=self.zoe.pk).is_erased)

        response = self.client.post(erase(self.zoe), **EN)
        self.assertRedirects(response, LIST)
        erased = Contact.objects.get(pk=self.zoe.pk)
        self.assertTrue(erased.is_erased)
        self.assertEqual(erased.email, f"erased-{erased.pk}@invalid")
        event = AuditEvent.objects.get(action="contact.erased")
        self.assertEqual(event.actor, f"wagtail:{user.pk}")
        after = self.client.get(page(erased), **EN)
        self.assertContains(after, "Erased on")
        self.assertNotContains(after, erase(erased))
        again = self.client.post(erase(erased), **EN, follow=True)
        self.assertContains(again, "already erased")

    def test_the_list_export_is_the_import_csv_of_the_filtered_contacts(self) -> None:
        user = self.login()
        ContactFactory(program=self.program, email="ana@example.com", is_customer=True)
        other = make_program(slug="autre", name="Autre")
        ContactFactory(program=other, email="bob@example.com")

        listing = self.client.get(LIST, **EN).content.decode()
        self.assertNotIn("Export contacts (CSV)", listing)  # two programs: choose one
        refused = self.client.get(EXPORT_LIST, **EN, follow=True)
        self.assertContains(refused, "Choose a program to export its contacts.")

        filtered = {"program": self.program.pk, "is_customer": "true"}
        listing = self.client.get(LIST, filtered, **EN).content.decode()
        self.assertIn(EXPORT_LIST, listing)
        response = self.client.get(EXPORT_LIST, filtered)
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        self.assertEqual([row["email"] for row in rows], ["ana@example.com"])
        self.assertEqual(rows[0]["is_customer"], "yes")
        event = AuditEvent.objects.get(action="contacts.exported")
        self.assertEqual(event.actor, f"wagtail:{user.pk}")

    def test_permissions_view_to_see_and_export_delete_to_erase(self) -> None:
        self.client.force_login(editor())
        self.assertEqual(self.client.get(LIST).status_code, 302)  # Wagtail's "denied" redirect
        self.assertEqual(self.client.get(page(self.zoe)).status_code, 302)
        self.assertEqual(self.client.get(export(self.zoe)).status_code, 302)
        menu = self.client.get(reverse("wagtailadmin_home"), **EN).content.decode()
        self.assertNotIn(LIST, menu)

        viewer = User.objects.get(username="marie")
        viewer.user_permissions.add(
            Permission.objects.get(codename="view_contact", content_type__app_label="parrain")
        )
        self.client.force_login(viewer)
        self.assertEqual(self.client.get(LIST, **EN).status_code, 200)
        contact_page = self.client.get(page(self.zoe), **EN).content.decode()
        self.assertNotIn(erase(self.zoe), contact_page)
        self.assertEqual(self.client.get(export(self.zoe)).status_code, 200)
        self.assertEqual(self.client.get(erase(self.zoe)).status_code, 302)
        self.assertEqual(self.client.post(erase(self.zoe)).status_code, 302)
        self.assertFalse(Contact.objects.get(pk=self.zoe.pk).is_erased)
        listing = self.client.get(LIST, **EN).content.decode()
        self.assertNotIn("Import contacts from a file", listing)

        viewer.user_permissions.add(
            Permission.objects.get(codename="delete_contact", content_type__app_label="parrain")
        )
        viewer = User.objects.get(pk=viewer.pk)  # no cached permissions
        self.client.force_login(viewer)
        self.client.post(erase(self.zoe))
        self.assertTrue(Contact.objects.get(pk=self.zoe.pk).is_erased)

    def test_the_referrals_report_links_a_contact_to_their_page(self) -> None:
        self.login()
        friend = ContactFactory(program=self.program, email="ana@example.com")
        Referral.objects.create(program=self.program, referrer=self.zoe, referee=friend)
        html = self.client.get(reverse("parrain_wagtail:referrals"), **EN).content.decode()
        self.assertIn(f'href="{page(friend)}"', html)
        self.assertIn(f'href="{page(self.zoe)}"', html)

    def test_the_import_report_links_to_the_wagtail_contacts(self) -> None:
        from parrain.plugins.wagtail.import_views import ImportView

        view = ImportView()
        self.assertEqual(view.import_url("contacts"), LIST)
