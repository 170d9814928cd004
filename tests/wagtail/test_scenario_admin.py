"""The scenario, the messages and the contacts' message history in the Wagtail admin's
Referral menu."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import AuditEvent, Contact, MessageTemplate, ScenarioStep, ScheduledMessage
from parrain.core.models.choices import (
    Audience,
    DelayUnit,
    MessageChannel,
    MessageKind,
    MessageRule,
    MessageStatus,
    Recipient,
    Trigger,
)

from .helpers import SITE_ROOT_URL, make_program

SCENARIO = reverse("parrain_wagtail:scenario")
ADD_STEP = reverse("parrain_wagtail:scenario_step_add")
SETTINGS = reverse("parrain_wagtail:scenario_settings")
MESSAGES = reverse("parrain_wagtail:messages")
HISTORY = reverse("parrain_wagtail:message_history")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DENIED = "Sorry, you do not have permission to access this area."


def step_form(**extra: object) -> dict[str, object]:
    return {
        "name": "Second nudge",
        "trigger": Trigger.INVITATION_SENT,
        "delay_amount": "6",
        "delay_unit": DelayUnit.DAYS,
        "channel": MessageChannel.EMAIL,
        "kind": MessageKind.FRIEND_REMINDER,
        "recipient": Recipient.FRIEND,
        "audience": [Audience.NOT_CONVERTED],
        "is_active": "on",
        "position": "0",
        **extra,
    }


def scheduled(step: ScenarioStep, contact: Contact, status: str, **fields: object):  # type: ignore[no-untyped-def]
    return ScheduledMessage.objects.create(
        program=step.program,
        step=step,
        contact=contact,
        kind=step.kind,
        channel=step.channel,
        dedupe_key=f"{step.pk}:{contact.pk}:{status}:{fields.get('reason', '')}",
        due_at=timezone.now() - timedelta(hours=1),
        status=status,
        **fields,
    )


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class ScenarioAdminTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.owner = self.create_superuser("owner", email="owner@example.com")
        self.client.force_login(self.owner)
        self.contact = Contact.objects.create(program=self.program, email="bob@example.com")

    def reminder(self) -> ScenarioStep:
        return ScenarioStep.objects.create(
            program=self.program,
            trigger=Trigger.INVITATION_SENT,
            delay_amount=3,
            delay_unit=DelayUnit.DAYS,
            kind=MessageKind.FRIEND_REMINDER,
            recipient=Recipient.FRIEND,
            audience=[Audience.NOT_CONVERTED],
            name="Gentle reminder",
        )

    def test_timeline_groups_steps_by_trigger_with_their_counts(self) -> None:
        step = self.reminder()
        scheduled(step, self.contact, MessageStatus.SENT)
        scheduled(step, self.contact, MessageStatus.DROPPED, reason=Audience.NOT_CONVERTED)
        scheduled(step, self.contact, MessageStatus.PENDING, delayed_by=MessageRule.QUIET_HOURS)

        page = self.client.get(SCENARIO, {"program": self.program.pk}, **EN)

        self.assertContains(page, "Invitation sent")
        self.assertContains(page, "Gentle reminder")
        self.assertContains(page, "after 3 days")
        html = page.content.decode()
        row = html[html.index(f'data-step="{step.pk}"') :]
        row = row[: row.index("</tr>")]
        self.assertIn("1 sent", row)
        self.assertIn("1 dropped", row)
        self.assertIn("1 waiting", row)
        self.assertIn("1 delayed", row)
        self.assertIn("0 failed", row)

    def test_owner_adds_a_step_through_the_core(self) -> None:
        before = ScenarioStep.objects.filter(program=self.program).count()
        page = self.client.get(ADD_STEP, {"program": self.program.pk}, **EN)
        self.assertContains(page, 'name="delay_amount"')

        response = self.client.post(f"{ADD_STEP}?program={self.program.pk}", step_form(), **EN)

        self.assertRedirects(
            response, f"{SCENARIO}?program={self.program.pk}", fetch_redirect_response=False
        )
        step = ScenarioStep.objects.get(program=self.program, name="Second nudge")
        self.assertEqual(ScenarioStep.objects.filter(program=self.program).count(), before + 1)
        self.assertEqual(step.delay, timedelta(days=6))
        self.assertEqual(step.audience, [Audience.NOT_CONVERTED])
        self.assertTrue(AuditEvent.objects.filter(action="scenario.step_created").exists())

    def test_a_step_to_someone_the_trigger_does_not_have_is_refused(self) -> None:
        before = ScenarioStep.objects.count()
        response = self.client.post(
            f"{ADD_STEP}?program={self.program.pk}",
            step_form(trigger=Trigger.ORDER_PLACED, recipient=Recipient.FRIEND),
            **EN,
        )

        self.assertEqual(response.status_code, 400)
        self.assertEqual(ScenarioStep.objects.count(), before)

    def test_owner_edits_and_switches_off_a_step(self) -> None:
        step = self.reminder()
        waiting = scheduled(step, self.contact, MessageStatus.PENDING)
        edit = reverse("parrain_wagtail:scenario_step_edit", args=[step.pk])
        self.assertContains(self.client.get(edit, **EN), "Gentle reminder")

        form = step_form(name="Gentle reminder", delay_amount="4")
        del form["is_active"]
        response = self.client.post(edit, form, **EN)

        self.assertEqual(response.status_code, 302)
        step.refresh_from_db()
        self.assertEqual((step.delay_amount, step.is_active), (4, False))
        waiting.refresh_from_db()
        self.assertEqual((waiting.status, waiting.reason), ("dropped", MessageRule.STEP_OFF))

    def test_owner_deletes_a_step_and_its_sent_messages_stay(self) -> None:
        step = self.reminder()
        sent = scheduled(step, self.contact, MessageStatus.SENT)
        delete = reverse("parrain_wagtail:scenario_step_delete", args=[step.pk])
        self.assertContains(self.client.get(delete, **EN), "Gentle reminder")

        self.client.post(delete, **EN)

        self.assertFalse(ScenarioStep.objects.filter(pk=step.pk).exists())
        self.assertTrue(ScheduledMessage.objects.filter(pk=sent.pk).exists())

    def test_message_settings_page_renders(self) -> None:
        page = self.client.get(SETTINGS, {"program": self.program.pk}, **EN)
        self.assertContains(page, 'name="messages_per_week"')

    def test_sms_text_is_saved_with_the_segment_counter(self) -> None:
        sms = reverse("parrain_wagtail:sms_template", args=[self.program.pk, "welcome", "en"])
        page = self.client.get(sms, **EN)
        self.assertContains(page, "data-parrain-sms-counter")
        self.assertContains(page, "parrain/sms_counter.js")
        self.assertContains(page, "{{ welcome_code }}")

        refused = self.client.post(sms, {"text": "Code: {{ welcome_kode }}"}, **EN)
        self.assertEqual(refused.status_code, 400)
        self.assertContains(refused, "Line 1", status_code=400)
        self.assertFalse(MessageTemplate.objects.exists())

        saved = self.client.post(sms, {"text": "Your code: {{ welcome_code }}"}, **EN)
        self.assertRedirects(
            saved, f"{MESSAGES}?program={self.program.pk}", fetch_redirect_response=False
        )
        template = MessageTemplate.objects.get()
        self.assertEqual(
            (template.channel, template.text), ("sms", "Your code: {{ welcome_code }}")
        )

    def test_contact_history_lists_their_messages_with_the_reason(self) -> None:
        step = self.reminder()
        other = Contact.objects.create(program=self.program, email="chloe@example.com")
        scheduled(step, self.contact, MessageStatus.DROPPED, reason=Audience.NOT_CONVERTED)
        scheduled(step, other, MessageStatus.SENT)

        page = self.client.get(HISTORY, {"contact": self.contact.pk}, **EN)

        self.assertContains(page, "bob@example.com")
        self.assertNotContains(page, "chloe@example.com")
        self.assertContains(page, "Friend has not ordered yet")

    def test_pages_are_refused_without_the_permissions(self) -> None:
        step = self.reminder()
        editor = self.create_user("editor", email="editor@example.com")
        editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
        self.client.force_login(editor)
        pages = [
            SCENARIO,
            f"{ADD_STEP}?program={self.program.pk}",
            reverse("parrain_wagtail:scenario_step_edit", args=[step.pk]),
            reverse("parrain_wagtail:scenario_step_delete", args=[step.pk]),
            f"{SETTINGS}?program={self.program.pk}",
            MESSAGES,
            reverse("parrain_wagtail:sms_template", args=[self.program.pk, "welcome", "en"]),
            HISTORY,
        ]
        for url in pages:
            self.assertContains(self.client.get(url, follow=True, **EN), DENIED, msg_prefix=url)
        self.client.post(reverse("parrain_wagtail:scenario_step_delete", args=[step.pk]))
        self.assertTrue(ScenarioStep.objects.filter(pk=step.pk).exists())
        home = self.client.get(reverse("wagtailadmin_home")).content.decode()
        self.assertNotIn(f'"url": "{SCENARIO}"', home)

        # Viewing the scenario is enough to see it, not to change it.
        group = Group.objects.create(name="Marketing")
        group.permissions.add(Permission.objects.get(codename="view_scenariostep"))
        editor.groups.add(group)
        page = self.client.get(SCENARIO, **EN)
        self.assertContains(page, "Gentle reminder")
        self.assertNotContains(page, "Add a step")
        self.assertIn(
            f'"url": "{SCENARIO}"', self.client.get(reverse("wagtailadmin_home")).content.decode()
        )
