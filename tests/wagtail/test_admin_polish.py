"""Issue 15 §5: the Wagtail admin without Oscar's search form, with working date inputs,
visible export buttons, and a dashboard that opens on the editor's last program."""

from __future__ import annotations

import re

from django.core import checks
from django.test import TestCase, override_settings
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from parrain.plugins.oscar.checks import check_search_form_scope

from .helpers import SITE_ROOT_URL, make_program

DASHBOARD = reverse("parrain_wagtail:dashboard")
REFERRALS = reverse("parrain_wagtail:referrals")
BADGE_STATS = reverse("parrain_wagtail:badge_stats")
HISTORY = reverse("parrain_wagtail:message_history")
CONTACTS = reverse("parrain_wagtail:contact_list")
EMAIL_DESIGNS = reverse("wagtailsnippets_parrain_wagtail_emaildesign:list")


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class WagtailAdminPolishTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.client.force_login(self.create_superuser("owner", email="owner@example.com"))

    def test_oscar_search_form_and_sort_menu_stay_out_of_wagtail_headers(self) -> None:
        urls = (
            DASHBOARD,
            REFERRALS,
            HISTORY,
            CONTACTS,
            EMAIL_DESIGNS,
            reverse("wagtailadmin_home"),
        )
        for url in urls:
            with self.subTest(url=url):
                response = self.client.get(url, HTTP_ACCEPT_LANGUAGE="en")
                self.assertEqual(response.status_code, 200)
                html = response.content.decode()
                self.assertFalse('name="sort_by"' in html or "Relevancy" in html)
                search_form = response.context.get("search_form")
                self.assertFalse(search_form and "sort_by" in search_form.fields)

    def test_oscar_search_page_keeps_its_search_form(self) -> None:
        response = self.client.get(reverse("search:search"), {"q": "lampe"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("sort_by", response.context["search_form"].fields)

    def test_date_inputs_script_loads_before_the_inline_calls(self) -> None:
        for url in (DASHBOARD, BADGE_STATS):
            with self.subTest(url=url):
                html = self.client.get(url).content.decode()
                script = html.find("wagtailadmin/js/date-time-chooser.js")
                self.assertGreater(script, 0)
                self.assertLess(script, html.index('initDateChooser("id_start"'))

    def test_exports_are_header_buttons_not_hidden_in_the_more_menu(self) -> None:
        for url in (DASHBOARD, REFERRALS, HISTORY):
            with self.subTest(url=url):
                html = self.client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
                for fmt in ("csv", "xlsx"):
                    link = re.search(rf'<a [^>]*href="[^"]*export={fmt}[^"]*"[^>]*>', html)
                    self.assertIsNotNone(link, fmt)
                    self.assertIn("w-header-button", link.group(0))
                self.assertFalse("icon-dots-horizontal" in html, "a '…' menu is left")

    def test_dashboard_opens_on_the_program_the_editor_last_chose(self) -> None:
        second = make_program(slug="atelier", name="Atelier Vélo")  # first by name
        self.assertEqual(self.client.get(DASHBOARD).context["program"], second)

        self.client.get(DASHBOARD, {"program": self.program.pk})

        self.assertEqual(self.client.get(DASHBOARD).context["program"], self.program)
        self.assertEqual(self.client.get(BADGE_STATS).context["program"], self.program)

    def test_filtering_referrals_by_program_is_remembered_too(self) -> None:
        make_program(slug="atelier", name="Atelier Vélo")
        self.client.get(REFERRALS, {"program": self.program.pk})
        self.assertEqual(self.client.get(DASHBOARD).context["program"], self.program)

    def test_a_deleted_last_program_falls_back_to_the_first_by_name(self) -> None:
        gone = make_program(slug="gone", name="Zèbre")
        self.client.get(DASHBOARD, {"program": gone.pk})
        gone.delete()
        self.assertEqual(self.client.get(DASHBOARD).context["program"], self.program)


class SearchFormCheckTests(TestCase):
    def test_oscar_unscoped_search_form_processor_is_reported(self) -> None:
        templates = [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "context_processors": ["oscar.apps.search.context_processors.search_form"]
                },
            }
        ]
        with override_settings(TEMPLATES=templates):
            found = check_search_form_scope()
        self.assertEqual([message.id for message in found], ["parrain_oscar.W002"])
        self.assertEqual(found[0].level, checks.WARNING)
        self.assertIn("parrain.plugins.oscar.context_processors.search_form", found[0].hint)

    def test_the_demo_settings_use_the_scoped_processor(self) -> None:
        self.assertEqual(check_search_form_scope(), [])
