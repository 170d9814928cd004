"""Deleting a program from the Wagtail admin goes through ``program_setup.delete_program``
(issue 16): the deletion is logged with the editor, as from the management API."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import Program

from .helpers import make_program


class ProgramDeleteTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.user = self.login()
        self.actor = f"wagtail:{self.user.pk}"

    def test_delete_and_bulk_delete_go_through_the_service(self) -> None:
        one, two = make_program(), make_program(slug="autre", name="Autre")
        url = reverse("wagtailsnippets_parrain_program:delete", args=[one.pk])
        with self.assertLogs("parrain.audit", level="WARNING") as logs:
            self.assertEqual(self.client.post(url).status_code, 302)
        self.assertFalse(Program.objects.filter(pk=one.pk).exists())
        self.assertEqual(
            logs.output,
            [f"WARNING:parrain.audit:program {one.pk} ({one.slug}) deleted by {self.actor}"],
        )
        self.assertTrue(ModelLogEntry.objects.filter(action="wagtail.delete").exists())

        bulk = reverse("wagtail_bulk_action", args=("parrain", "program", "delete"))
        listing = reverse("wagtailsnippets_parrain_program:list")
        with self.assertLogs("parrain.audit", level="WARNING") as logs:
            response = self.client.post(f"{bulk}?id={two.pk}", {"next": listing})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Program.objects.filter(pk=two.pk).exists())
        self.assertEqual(
            logs.output,
            [f"WARNING:parrain.audit:program {two.pk} ({two.slug}) deleted by {self.actor}"],
        )
