"""A moderator without Parrain permissions cannot point a program's share links at a page.

Wagtail's default "Moderators" group may add, edit and publish pages, nothing of Parrain's.
Publishing a landing page changes its program (landing URL, allowed widget origins), so it
also takes ``parrain.change_program``, checked on the user who publishes.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision, Workflow
from wagtail.test.utils import WagtailPageTestCase

from parrain.core.models import AuditEvent, Program
from parrain.plugins.wagtail.factories import create_landing_page
from parrain.plugins.wagtail.models import ReferralLandingPage

from .helpers import SITE_ROOT_URL, make_program, site_home
from .test_landing_page import form_data

ELSEWHERE = "https://www.velo.example/parrainage/"


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class ModeratorWithoutProgramPermissionTests(WagtailPageTestCase):
    def setUp(self) -> None:
        self.home = site_home()
        self.maison = make_program()
        self.page = create_landing_page(self.home, self.maison)  # published by the operator
        self.velo = make_program("velo", "Atelier Vélo")
        Program.objects.filter(pk=self.velo.pk).update(
            landing_url=ELSEWHERE, allowed_origins=["https://www.velo.example"]
        )
        self.moderator = self.create_user("moderator", email="moderator@example.com")
        self.moderator.groups.add(Group.objects.get(name="Moderators"))
        self.client.force_login(self.moderator)

    def velo_state(self) -> tuple[str, list[str]]:
        self.velo.refresh_from_db()
        return self.velo.landing_url, self.velo.allowed_origins

    def messages(self, response) -> str:
        return " ".join(str(message) for message in get_messages(response.wsgi_request))

    def test_editor_shows_the_program_read_only_and_says_why(self) -> None:
        response = self.client.get(reverse("wagtailadmin_pages:edit", args=[self.page.pk]))

        self.assertContains(response, "Only users allowed to change referral programs")
        self.assertContains(response, "Maison Lumière")
        self.assertNotContains(response, 'name="program"')

    def test_a_new_page_published_with_another_program_leaves_that_program_alone(self) -> None:
        add = reverse(
            "wagtailadmin_pages:add",
            args=["parrain_wagtail", "referrallandingpage", self.home.pk],
        )
        data = form_data(self.velo.pk, **{"action-publish": "action-publish"})
        data.update(title="Offre vélo", slug="offre-velo")

        response = self.client.post(add, data)

        self.assertEqual(response.status_code, 302)
        page = ReferralLandingPage.objects.get(slug="offre-velo")
        self.assertTrue(page.live)
        self.assertIsNone(page.program)  # the posted program was not taken
        self.assertEqual(self.velo_state(), (ELSEWHERE, ["https://www.velo.example"]))

    def test_publishing_a_draft_that_switched_program_leaves_the_programs_and_says_why(
        self,
    ) -> None:
        # Given a draft (saved in code, without the editor form) that switched to Vélo
        self.page.program = self.velo
        self.page.save_revision(user=self.moderator)

        # When the moderator publishes it in the editor
        response = self.client.post(
            reverse("wagtailadmin_pages:edit", args=[self.page.pk]),
            form_data(self.maison.pk, **{"action-publish": "action-publish"}),
        )

        # Then the page is live with its draft, but no program was moved, and it is said
        self.assertEqual(response.status_code, 302)
        self.page.refresh_from_db()
        self.assertEqual(self.page.program, self.velo)
        self.assertEqual(self.velo_state(), (ELSEWHERE, ["https://www.velo.example"]))
        self.maison.refresh_from_db()
        self.assertEqual(self.maison.landing_url, f"{SITE_ROOT_URL}/parrainage/")
        self.assertIn(
            f"share links of the program “Atelier Vélo” were left unchanged and still lead "
            f"to {ELSEWHERE}",
            self.messages(response),
        )
        refusal = AuditEvent.objects.get(program=self.velo, action="landing.refused")
        self.assertEqual(refusal.actor, f"wagtail:{self.moderator.pk}")
        self.assertEqual(refusal.data["page_action"], "publish")

    def test_approving_a_workflow_checks_the_moderator_who_publishes(self) -> None:
        # Given an editor's draft pointing the page at Vélo, in the default moderation workflow
        editor = self.create_user("editor", email="editor@example.com")
        editor.groups.add(Group.objects.get(name="Editors"))
        self.page.program = self.velo
        self.page.save_revision(user=editor)
        workflow_state = Workflow.objects.get(name="Moderators approval").start(self.page, editor)

        # When the moderator approves it (the last task: it publishes)
        task_state = workflow_state.current_task_state
        response = self.client.post(
            reverse(
                "wagtailadmin_pages:workflow_action",
                args=[self.page.pk, "approve", task_state.pk],
            ),
            {"comment": ""},
        )

        # Then the page is published, Vélo is untouched, and the refusal names the moderator
        self.assertEqual(response.status_code, 302)
        self.page.refresh_from_db()
        self.assertEqual((self.page.live, self.page.program), (True, self.velo))
        self.assertEqual(self.velo_state(), (ELSEWHERE, ["https://www.velo.example"]))
        refusal = AuditEvent.objects.get(program=self.velo, action="landing.refused")
        self.assertEqual(refusal.actor, f"wagtail:{self.moderator.pk}")

    def test_a_go_live_scheduled_by_the_moderator_leaves_the_program_then_too(self) -> None:
        # Given a page never published yet, set to Vélo in code
        draft = create_landing_page(self.home, self.velo, slug="velo-draft", publish=False)
        draft.unpublish()
        edit = reverse("wagtailadmin_pages:edit", args=[draft.pk])
        go_live = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")

        # When the moderator schedules it, and it later goes live on schedule
        data = form_data(self.velo.pk, **{"action-publish": "action-publish"})
        data.update(slug="velo-draft", go_live_at=go_live)
        self.assertEqual(self.client.post(edit, data).status_code, 302)
        self.assertEqual(self.velo_state()[0], ELSEWHERE)  # nothing moves before go-live
        past = timezone.now() - timedelta(minutes=1)
        scheduled = Revision.objects.get(object_id=str(draft.pk), approved_go_live_at__isnull=False)
        scheduled.content["go_live_at"] = past.isoformat()
        scheduled.approved_go_live_at = past  # as if the day had passed
        scheduled.save(update_fields=["content", "approved_go_live_at"])
        call_command("publish_scheduled")

        # Then the page is live but Vélo still points elsewhere: the scheduler was checked
        draft.refresh_from_db()
        self.assertTrue(draft.live)
        self.assertEqual(self.velo_state(), (ELSEWHERE, ["https://www.velo.example"]))
        refusal = AuditEvent.objects.get(program=self.velo, action="landing.refused")
        self.assertEqual(refusal.actor, f"wagtail:{self.moderator.pk}")

    def test_unpublishing_leaves_the_program_and_says_why(self) -> None:
        response = self.client.post(reverse("wagtailadmin_pages:unpublish", args=[self.page.pk]))

        self.assertEqual(response.status_code, 302)
        self.page.refresh_from_db()
        self.assertFalse(self.page.live)
        self.maison.refresh_from_db()
        self.assertEqual(self.maison.landing_url, f"{SITE_ROOT_URL}/parrainage/")
        self.assertIn("“Maison Lumière” were left unchanged", self.messages(response))
        self.assertTrue(
            AuditEvent.objects.filter(
                program=self.maison, action="landing.refused", data__page_action="unpublish"
            ).exists()
        )

    def test_deleting_leaves_the_program_and_says_why(self) -> None:
        Group.objects.get(name="Moderators").permissions.add(
            Permission.objects.get(codename="delete_page")
        )
        response = self.client.post(reverse("wagtailadmin_pages:delete", args=[self.page.pk]))

        self.assertEqual(response.status_code, 302)
        self.assertFalse(ReferralLandingPage.objects.filter(pk=self.page.pk).exists())
        self.maison.refresh_from_db()
        self.assertEqual(self.maison.landing_url, f"{SITE_ROOT_URL}/parrainage/")
        self.assertIn("“Maison Lumière” were left unchanged", self.messages(response))

    def test_with_the_program_permission_the_moderator_points_the_program(self) -> None:
        marketing = Group.objects.create(name="Marketing")
        marketing.permissions.add(Permission.objects.get(codename="change_program"))
        self.moderator.groups.add(marketing)
        edit = reverse("wagtailadmin_pages:edit", args=[self.page.pk])
        self.assertContains(self.client.get(edit), 'name="program"')

        response = self.client.post(
            edit, form_data(self.velo.pk, **{"action-publish": "action-publish"})
        )

        self.assertEqual(response.status_code, 302)
        page_url = f"{SITE_ROOT_URL}/parrainage/"
        self.assertEqual(self.velo_state(), (page_url, ["https://www.velo.example", SITE_ROOT_URL]))
        self.assertIn(f"“Atelier Vélo” now lead to {page_url}", self.messages(response))
        change = AuditEvent.objects.get(program=self.velo, action="landing.changed")
        self.assertEqual(
            (change.actor, change.data["before"], change.data["after"]),
            (f"wagtail:{self.moderator.pk}", ELSEWHERE, page_url),
        )
