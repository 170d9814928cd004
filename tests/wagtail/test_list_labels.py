"""The Wagtail listings name yes/no fields and languages in the editor's language: no raw
``True``, ``False`` or ``fr`` in a table cell (found in the Programs list, 2026-12-04)."""

from __future__ import annotations

import re

from django.test import TestCase, override_settings
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import Badge, Program
from parrain.core.models.choices import MessageKind
from parrain.plugins.wagtail.models import EmailDesign

from .helpers import SITE_ROOT_URL, make_program

LISTS = {
    "programs": reverse("wagtailsnippets_parrain_program:list"),
    "reward rules": reverse("wagtailsnippets_parrain_rewardrule:list"),
    "badges": reverse("wagtailsnippets_parrain_badge:list"),
    "email designs": reverse("wagtailsnippets_parrain_wagtail_emaildesign:list"),
}


def cells(html: str) -> list[str]:
    """The text of each table cell, tags dropped and blanks squeezed."""
    found = re.findall(r"<td\b[^>]*>(.*?)</td>", html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in found]


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL)
class ListLabelTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        paused = make_program(slug="pause", name="Atelier en pause")
        Program.objects.filter(pk=paused.pk).update(is_active=False)
        Badge.objects.create(program=self.program, names={"fr": "Bronze"}, keep_once_earned=False)
        EmailDesign.objects.create(
            program=self.program, kind=MessageKind.REWARD, language="fr", subject="Merci"
        )
        self.client.force_login(self.create_superuser("owner", email="owner@example.com"))

    def listed(self, url: str, language: str) -> list[str]:
        response = self.client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        self.assertEqual(response.status_code, 200)
        return cells(response.content.decode())

    def test_no_raw_values_in_any_list(self) -> None:
        for language in ("fr", "en"):
            for name, url in LISTS.items():
                with self.subTest(list=name, language=language):
                    for cell in self.listed(url, language):
                        self.assertNotIn(cell, {"True", "False", "None", "fr", "en"})

    def test_active_programs_read_yes_and_paused_no(self) -> None:
        french = self.listed(LISTS["programs"], "fr")
        self.assertIn("Oui", french)
        self.assertIn("Non", french)
        english = self.listed(LISTS["programs"], "en")
        self.assertIn("Yes", english)
        self.assertIn("No", english)

    def test_badges_name_both_yes_no_fields(self) -> None:
        row = self.listed(LISTS["badges"], "en")
        self.assertEqual(row.count("Yes") + row.count("No"), 2)
        self.assertIn("No", row)  # kept once earned: off

    def test_email_designs_name_their_language(self) -> None:
        self.assertIn("Français", self.listed(LISTS["email designs"], "fr"))
        self.assertIn("French", self.listed(LISTS["email designs"], "en"))

    def test_reward_rules_write_their_value_as_the_reader_does(self) -> None:
        french = " | ".join(self.listed(LISTS["reward rules"], "fr"))
        self.assertIn("Récompense du parrain : Remise d’un montant fixe 10,00", french)
        self.assertNotIn("10.00", french)
        self.assertIn("10.00", " | ".join(self.listed(LISTS["reward rules"], "en")))
