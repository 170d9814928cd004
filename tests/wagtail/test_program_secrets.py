"""The identity secret in the Wagtail admin: hidden from view-only staff, masked for users
who may change the program, revealed and rotated by an audited POST with a CSRF token."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import AuditEvent, RefusedOrigin
from parrain.core.rotation import masked

from .helpers import make_program

INSPECT = "wagtailsnippets_parrain_program:inspect"
REVEAL = "wagtailsnippets_parrain_program:reveal_secret"
ROTATE = "wagtailsnippets_parrain_program:rotate_secret"


@override_settings(LANGUAGE_CODE="en")
class ProgramSecretTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.secret = self.program.identity_secret

    def staff(self, *codenames: str) -> Client:
        name = "_".join(codenames)
        user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw")
        user.user_permissions.set(
            Permission.objects.filter(codename__in=("access_admin", *codenames))
        )
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    def inspect(self, client: Client) -> str:
        response = client.get(reverse(INSPECT, args=[self.program.pk]))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def post(self, client: Client, name: str) -> object:
        token = client.cookies["csrftoken"].value
        return client.post(reverse(name, args=[self.program.pk]), {"csrfmiddlewaretoken": token})

    def test_view_only_staff_see_neither_the_secret_nor_the_reveal_action(self) -> None:
        viewer = self.staff("view_program")
        page = self.inspect(viewer)
        self.assertIn(self.program.public_key, page)  # the inspect view works
        self.assertNotIn(self.secret, page)
        self.assertNotIn(self.secret[:10], page)
        self.assertNotIn("Reveal and copy", page)
        self.assertEqual(self.post(viewer, REVEAL).status_code, 403)
        self.assertEqual(self.post(viewer, ROTATE).status_code, 403)
        self.assertFalse(AuditEvent.objects.exists())

    def test_change_staff_see_it_masked_and_reveal_it_with_an_audit_entry(self) -> None:
        editor = self.staff("view_program", "change_program")
        page = self.inspect(editor)
        self.assertNotIn(self.secret, page)
        self.assertIn(masked(self.secret), page)
        self.assertIn("Reveal and copy", page)
        self.assertIn(reverse(REVEAL, args=[self.program.pk]), page)

        url = reverse(REVEAL, args=[self.program.pk])
        self.assertEqual(editor.get(url).status_code, 405)
        self.assertEqual(editor.post(url).status_code, 403)  # no CSRF token
        response = self.post(editor, REVEAL)
        self.assertEqual(response.json(), {"secret": self.secret})
        event = AuditEvent.objects.get()
        self.assertEqual(
            (event.action, event.actor), ("secret.revealed", "view_program_change_program")
        )

    def test_change_staff_rotate_it_and_the_old_one_is_kept_for_the_grace(self) -> None:
        editor = self.staff("view_program", "change_program")
        self.inspect(editor)
        self.assertEqual(self.post(editor, ROTATE).status_code, 200)
        self.program.refresh_from_db()
        self.assertNotEqual(self.program.identity_secret, self.secret)
        self.assertEqual(
            self.program.identity_secrets(), [self.program.identity_secret, self.secret]
        )
        self.assertIn("still accepted until", self.inspect(editor))
        self.assertTrue(AuditEvent.objects.filter(action="secret.rotated").exists())


@override_settings(LANGUAGE_CODE="en")
class ProgramWidgetErrorsTests(WagtailTestUtils, TestCase):
    def test_inspect_view_lists_recent_widget_errors(self) -> None:
        program = make_program()
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(self.create_superuser("owner"))
        url = reverse(INSPECT, args=[program.pk])
        self.assertIn("No page has been refused", client.get(url).content.decode())
        RefusedOrigin.objects.create(program=program, origin="http://localhost:8101", count=2)
        page = client.get(url).content.decode()
        self.assertIn("Recent widget errors", page)
        self.assertIn("http://localhost:8101", page)
        self.assertIn("this page origin is not allowed for this program", page)
