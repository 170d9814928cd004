"""The setup checklist and the widget code in the Wagtail admin (issue 15 §2): the checklist
heads the program's inspect view with links to Wagtail's pages (the landing page in the page
editor once it exists), the widget code page under Referral, "Mark as reviewed"."""

from __future__ import annotations

import re
from html import unescape

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from parrain.core.models import AuditEvent
from parrain.plugins.wagtail.factories import create_landing_page

from .helpers import SITE_ROOT_URL, make_program, site_home

INSPECT = "wagtailsnippets_parrain_program:inspect"


def steps(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="(\w+)" data-done="(\w+)"', html))


@override_settings(LANGUAGE_CODE="en", PARRAIN_BASE_URL=SITE_ROOT_URL)
class SetupChecklistWagtailTests(TestCase):
    def setUp(self) -> None:
        self.program = make_program()

    def editor(self, *codenames: str) -> Client:
        name = "_".join(codenames) or "nobody"
        user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw")
        user.user_permissions.set(
            Permission.objects.filter(codename__in=("access_admin", *codenames))
        )
        client = Client(headers={"accept-language": "en"})
        client.force_login(user)
        return client

    def inspect(self, client: Client) -> str:
        response = client.get(reverse(INSPECT, args=[self.program.pk]))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_the_checklist_links_to_wagtail_pages_and_follows_the_landing_page(self) -> None:
        client = self.editor("view_program", "change_messagetemplate")
        page = self.inspect(client)
        self.assertIn("Setup checklist", page)
        self.assertEqual(steps(page)["landing"], "false")
        self.assertIn(f'href="{reverse("wagtailadmin_explore_root")}"', page)
        pk = self.program.pk
        for name in (
            "parrain_wagtail:snippet",
            "parrain_wagtail:scenario",
            "parrain_wagtail:messages",
        ):
            self.assertIn(f'href="{reverse(name)}?program={pk}"', page)
        # Publishing the landing page turns the step green and links to its editor
        landing = create_landing_page(site_home(), self.program)
        page = self.inspect(client)
        self.assertEqual(steps(page)["landing"], "true")
        self.assertIn(f'href="{reverse("wagtailadmin_pages:edit", args=[landing.pk])}"', page)
        # Mark as reviewed
        url = f"{reverse('parrain_wagtail:messages_reviewed')}?program={pk}"
        inspect_url = reverse(INSPECT, args=[pk])
        response = client.post(url, {"next": inspect_url})
        self.assertEqual(response["Location"], inspect_url)
        self.assertEqual(steps(self.inspect(client))["messages"], "true")
        self.assertEqual(
            AuditEvent.objects.get(action="program.messages_reviewed").program, self.program
        )

    def test_the_widget_code_page_shows_the_snippet_and_the_preview(self) -> None:
        client = self.editor("view_program")
        url = reverse("parrain_wagtail:snippet")
        response = client.get(
            url, {"program": self.program.pk, "kind": "referee", "title": "Bonjour"}
        )
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        code = unescape(re.search(r"data-snippet-code>(.*?)</textarea>", page, re.S)[1])
        self.assertIn('data-parrain-widget="referee"', code)
        self.assertIn('data-parrain-title="Bonjour"', code)
        self.assertIn(f'data-parrain-api="{SITE_ROOT_URL}"', code)
        preview = unescape(re.search(r'srcdoc="(.*?)"', page, re.S)[1])
        self.assertIn('data-parrain-api="http://testserver"', preview)

    def test_without_permissions_neither_page_nor_mark(self) -> None:
        client = self.editor()
        response = client.get(reverse("parrain_wagtail:snippet"), {"program": self.program.pk})
        self.assertNotEqual(response.status_code, 200)
        url = f"{reverse('parrain_wagtail:messages_reviewed')}?program={self.program.pk}"
        self.assertIn(client.post(url).status_code, (302, 403))  # Wagtail redirects a refusal
        self.program.refresh_from_db()
        self.assertIsNone(self.program.messages_reviewed_at)
