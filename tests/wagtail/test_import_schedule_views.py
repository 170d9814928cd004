"""The regular import in the Wagtail admin (Referral → Contact imports → Regular import):
the shared form in Wagtail's look, the password never shown back and kept when left
empty, "Run now", and the permissions."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.test import TestCase, override_settings
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import ContactImport, ImportSchedule
from parrain.core.models.choices import ImportStatus

from .helpers import make_program

PAGE = reverse("parrain_wagtail:import_schedule")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DENIED = "Sorry, you do not have permission to access this area."
POST = {
    "url": "https://files.shop.example/clients.csv",
    "username": "shop",
    "password": "s3cret-pass",
    "every_hours": "24",
    "notify_email": "owner@shop.example",
    "is_active": "on",
}


class ScheduleScreenTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.url = f"{PAGE}?program={self.program.pk}"
        self.login()

    def test_linked_from_the_import_list_saved_masked_and_kept(self) -> None:
        listing = self.client.get(reverse("parrain_wagtail:import_list"), **EN)
        self.assertContains(listing, PAGE)
        page = self.client.get(self.url, **EN).content.decode()
        self.assertIn("Every day", page)
        self.assertNotIn("Run now", page)

        response = self.client.post(self.url, POST, **EN)

        self.assertRedirects(response, self.url)
        schedule = ImportSchedule.objects.get(program=self.program)
        self.assertEqual(schedule.password, "s3cret-pass")
        page = self.client.get(self.url, **EN).content.decode()
        self.assertNotIn("s3cret-pass", page)
        self.assertIn("A password is saved: leave this empty to keep it.", page)
        self.assertIn("Run now", page)
        self.client.post(self.url, {**POST, "password": "", "every_hours": "1"}, **EN)
        schedule.refresh_from_db()
        self.assertEqual((schedule.password, schedule.every_hours), ("s3cret-pass", 1))

    @override_settings(PARRAIN_ALLOW_PRIVATE_TARGETS=False)
    def test_run_now_shows_the_last_error(self) -> None:
        schedule = ImportSchedule.objects.create(
            program=self.program, url="https://192.168.1.20/clients.csv"
        )
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url, {"run": "1"}, **EN)

        self.assertRedirects(response, self.url)
        schedule.refresh_from_db()
        self.assertIn("private or loopback", schedule.last_error)
        failed = ContactImport.objects.get(schedule=schedule)
        self.assertEqual(failed.status, ImportStatus.FAILED)
        page = self.client.get(self.url, **EN).content.decode()
        self.assertIn("private or loopback", page)
        self.assertIn(reverse("parrain_wagtail:import_detail", args=[failed.pk]), page)

    def test_viewers_cannot_save_nor_run(self) -> None:
        schedule = ImportSchedule.objects.create(
            program=self.program, url="https://files.example/a.csv"
        )
        group = Group.objects.create(name="Viewers")
        group.permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="view_importschedule"),
        )
        viewer = self.create_user("viewer", password="pw")
        viewer.groups.add(group)
        self.client.force_login(viewer)

        page = self.client.get(self.url, **EN)
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "Run now")
        for data in ({"run": "1"}, POST):
            refused = self.client.post(self.url, data, follow=True, **EN)
            self.assertContains(refused, DENIED)
        schedule.refresh_from_db()
        self.assertEqual(schedule.password, "")
        self.assertEqual(schedule.imports.count(), 0)
