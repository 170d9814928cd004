"""Scenario and messages in Oscar's dashboard: the timeline with each step's counts, adding
and editing a step, the sending rules, the message editor (a template refused with its
line, a test sent to the staff member, a reset), and a contact's message history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from oscar.test.factories import UserFactory

from parrain.core.factories import ContactFactory
from parrain.core.models import (
    AuditEvent,
    Contact,
    MessageTemplate,
    Program,
    ScenarioStep,
    ScheduledMessage,
)
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

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
BASE = "/shop/dashboard/referral/"
EDIT = f"{BASE}messages/friend_reminder/email/en/"


def signed_in(language: str = "en", **user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(UserFactory(**user))
    return client


@pytest.fixture
def staff() -> Client:
    return signed_in(is_staff=True, is_superuser=True, email="owner@shop.example")


@pytest.fixture
def reminder(program: Program) -> ScenarioStep:
    ScenarioStep.objects.filter(program=program).delete()  # the default scenario, if any
    return ScenarioStep.objects.create(
        program=program,
        trigger=Trigger.INVITATION_SENT,
        delay_amount=3,
        delay_unit=DelayUnit.DAYS,
        kind=MessageKind.FRIEND_REMINDER,
        recipient=Recipient.FRIEND,
        audience=[Audience.NOT_CONVERTED],
    )


@pytest.fixture
def contact(program: Program) -> Contact:
    return ContactFactory(program=program, email="camille@example.org", first_name="Camille")


def message(step: ScenarioStep | None, contact: Contact, n: int, **fields: Any) -> ScheduledMessage:
    now = timezone.now()
    values = {
        "program": contact.program,
        "step": step,
        "contact": contact,
        "kind": step.kind if step else MessageKind.CONFIRMATION,
        "channel": MessageChannel.EMAIL,
        "dedupe_key": f"test:{n}",
        "due_at": now,
        **fields,
    }
    return ScheduledMessage.objects.create(**values)


def pages(program: Program, step: ScenarioStep, contact: Contact) -> list[str]:
    return [
        f"{BASE}scenario/",
        f"{BASE}scenario/steps/new/",
        f"{BASE}scenario/steps/{step.pk}/",
        f"{BASE}scenario/steps/{step.pk}/delete/",
        f"{BASE}messages/",
        EDIT,
        f"{EDIT}preview/",
        f"{BASE}messages/reward/sms/fr/",
        f"{BASE}contacts/{contact.pk}/",
    ]


def test_scenario_and_message_pages_render_for_staff(
    staff: Client, program: Program, reminder: ScenarioStep, contact: Contact
) -> None:
    for page in pages(program, reminder, contact):
        response = staff.get(page)
        assert response.status_code == 200, page


def test_scenario_and_message_pages_are_refused_to_customers(
    program: Program, reminder: ScenarioStep, contact: Contact
) -> None:
    for page in pages(program, reminder, contact):
        anonymous = Client().get(page)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/shop/dashboard/login/")
    for client in (signed_in(), signed_in(is_staff=True)):
        for page in pages(program, reminder, contact):
            assert client.get(page).status_code == 403, page
        client.post(f"{BASE}scenario/steps/{reminder.pk}/delete/")
        client.post(EDIT, {"action": "save", "subject": "Hi", "html": "<p>Hi</p>", "text": "Hi"})
    assert ScenarioStep.objects.filter(pk=reminder.pk).exists()
    assert not MessageTemplate.objects.exists()


def test_timeline_shows_each_step_with_its_counts(
    staff: Client, program: Program, reminder: ScenarioStep, contact: Contact
) -> None:
    # Given the reminder sent twice (once held back by quiet hours), dropped once, waiting once
    now = timezone.now()
    message(reminder, contact, 1, status=MessageStatus.SENT, sent_at=now)
    message(
        reminder,
        contact,
        2,
        status=MessageStatus.SENT,
        sent_at=now,
        delayed_by=MessageRule.QUIET_HOURS,
    )
    message(reminder, contact, 3, status=MessageStatus.DROPPED, reason=Audience.NOT_CONVERTED)
    message(reminder, contact, 4, due_at=now + timedelta(days=1))
    with translation.override("en"):
        page = staff.get(f"{BASE}scenario/?program={program.slug}").content.decode()
    row = page[page.index(f'data-step="{reminder.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "3 days later" in row
    assert "Reminder to the friend" in row
    assert "Friend has not ordered yet" in row
    for name, count in (("sent", 2), ("delayed", 1), ("dropped", 1), ("failed", 0)):
        assert f'data-count="{name}">{count}<' in row
    assert 'data-count="waiting">1<' in row
    assert "Invitation sent" in page


def test_staff_adds_a_step_and_edits_its_delay(
    staff: Client, program: Program, reminder: ScenarioStep
) -> None:
    data = {
        "trigger": Trigger.ORDER_PLACED,
        "delay_amount": "10",
        "delay_unit": DelayUnit.DAYS,
        "channel": MessageChannel.EMAIL,
        "kind": MessageKind.REVIEW_REQUEST,
        "recipient": Recipient.CONTACT,
        "is_active": "on",
        "position": "0",
    }
    response = staff.post(f"{BASE}scenario/steps/new/?program={program.slug}", data)
    assert response.status_code == 302
    step = ScenarioStep.objects.get(program=program, kind=MessageKind.REVIEW_REQUEST)
    assert (step.trigger, step.delay_amount, step.recipient) == ("order_placed", 10, "contact")
    assert AuditEvent.objects.filter(action="scenario.step_created").exists()

    response = staff.post(f"{BASE}scenario/steps/{step.pk}/", {**data, "delay_amount": "14"})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.delay_amount == 14
    with translation.override("en"):
        assert "14 days later" in staff.get(response["Location"]).content.decode()


def test_a_step_for_someone_the_trigger_does_not_concern_is_refused(
    staff: Client, program: Program, reminder: ScenarioStep
) -> None:
    data = {
        "trigger": Trigger.ORDER_PLACED,
        "delay_amount": "1",
        "delay_unit": DelayUnit.DAYS,
        "channel": MessageChannel.EMAIL,
        "kind": MessageKind.FRIEND_REMINDER,
        "recipient": Recipient.FRIEND,  # an order has no friend
        "is_active": "on",
        "position": "0",
    }
    response = staff.post(f"{BASE}scenario/steps/new/?program={program.slug}", data)
    assert response.status_code == 400
    assert not ScenarioStep.objects.filter(trigger=Trigger.ORDER_PLACED).exists()


def test_deleting_a_step_drops_what_it_still_had_waiting(
    staff: Client, program: Program, reminder: ScenarioStep, contact: Contact
) -> None:
    waiting = message(reminder, contact, 1, due_at=timezone.now() + timedelta(days=2))
    with translation.override("en"):
        page = staff.get(f"{BASE}scenario/steps/{reminder.pk}/delete/").content.decode()
    assert "1 message still waiting will not be sent." in page
    assert staff.post(f"{BASE}scenario/steps/{reminder.pk}/delete/").status_code == 302
    assert not ScenarioStep.objects.filter(pk=reminder.pk).exists()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.reason) == (MessageStatus.DROPPED, MessageRule.STEP_OFF)


def test_sending_rules_are_saved_and_a_bad_value_stores_nothing(
    staff: Client, program: Program, reminder: ScenarioStep
) -> None:
    form = staff.get(f"{BASE}scenario/?program={program.slug}").context["settings_form"]
    data = {
        field.html_name: field.value()
        for field in form
        if field.value() is not None and field.value() is not False
    }
    url = f"{BASE}scenario/?program={program.slug}"
    before = program.messages_per_week
    refused = staff.post(url, {**data, "messages_per_week": "-1"})
    assert refused.status_code == 400
    program.refresh_from_db()
    assert program.messages_per_week == before
    wanted = 1 if before != 1 else 2
    assert staff.post(url, {**data, "messages_per_week": str(wanted)}).status_code == 302
    program.refresh_from_db()
    assert program.messages_per_week == wanted


def test_message_list_says_which_texts_are_customised(staff: Client, program: Program) -> None:
    MessageTemplate.objects.create(
        program=program,
        kind=MessageKind.REWARD,
        channel=MessageChannel.EMAIL,
        language="en",
        subject="Your reward",
        html="<p>Thanks</p>",
        designed_with="wagtail",
    )
    with translation.override("en"):
        page = staff.get(f"{BASE}messages/?program={program.slug}").content.decode()
    row = page[page.index('data-template="reward.email.en"') :]
    row = row[: row.index("</tr>")]
    assert "Customised" in row and "Designed in Wagtail" in row
    other = page[page.index('data-template="reward.sms.en"') :]
    assert "Default" in other[: other.index("</tr>")]
    for kind in MessageKind.values:
        assert f'data-template="{kind}.sms.fr"' in page


def test_a_template_with_an_unknown_variable_is_refused_with_its_line(
    staff: Client, program: Program
) -> None:
    html = "<p>Hello {{ contact_first_name }},</p>\n<p>Still there?</p>\n<p>{{ password }}</p>"
    data = {"action": "save", "subject": "A reminder", "html": html, "text": "Hello"}
    with translation.override("en"):
        response = staff.post(f"{EDIT}?program={program.slug}", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "line 3" in page.lower()
    assert "password" in page
    assert not MessageTemplate.objects.exists()


def test_a_valid_template_is_saved_and_reset_to_the_default(
    staff: Client, program: Program
) -> None:
    data = {
        "action": "save",
        "subject": "{{ contact_first_name }}, your offer waits",
        "html": "<p>Your offer: {{ offer_referee }}</p>",
        "text": "Your offer: {{ offer_referee }}",
    }
    response = staff.post(f"{EDIT}?program={program.slug}", data)
    assert response.status_code == 302
    saved = MessageTemplate.objects.get(program=program, kind="friend_reminder", language="en")
    assert saved.subject == data["subject"]
    with translation.override("en"):
        page = staff.get(f"{EDIT}?program={program.slug}").content.decode()
    assert "Customised" in page and "your offer waits" in page

    response = staff.post(f"{EDIT}?program={program.slug}", {"action": "reset"})
    assert response.status_code == 302
    assert not MessageTemplate.objects.filter(program=program).exists()


def test_test_send_arrives_at_the_staff_members_address(staff: Client, program: Program) -> None:
    data = {
        "action": "test",
        "subject": "Psst {{ contact_first_name }}",
        "html": "<p>Your offer: {{ offer_referee }}</p>",
        "text": "Your offer: {{ offer_referee }}",
    }
    with translation.override("en"):
        response = staff.post(f"{EDIT}?program={program.slug}", data)
    assert response.status_code == 200
    assert "Test sent to owner@shop.example" in response.content.decode()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["owner@shop.example"]
    assert "[TEST]" in sent.subject and "Psst" in sent.subject
    assert "{{" not in sent.body
    assert not MessageTemplate.objects.exists()  # a test saves nothing


def test_preview_shows_the_editor_content_in_a_frame_without_scripts(
    staff: Client, program: Program
) -> None:
    data = {
        "subject": "Hi",
        "html": "<p>Preview of {{ offer_referee }}</p>",
        "text": "Preview",
    }
    response = staff.post(f"{EDIT}preview/?program={program.slug}", data)
    assert response.status_code == 200
    assert "Preview of" in response.content.decode()
    assert "{{" not in response.content.decode()
    assert "sandbox" in response["Content-Security-Policy"]


def test_sms_editor_counts_segments(staff: Client, program: Program) -> None:
    with translation.override("en"):
        page = staff.get(f"{BASE}messages/reward/sms/en/?program={program.slug}")
    html = page.content.decode()
    assert 'data-parrain-sms-counter="parrain-sms-segments"' in html
    assert "sms_counter.js" in html
    assert 'id="parrain-sms-segments"' in html
    assert 'name="test_phone"' in html


def test_contact_history_says_status_and_rule_in_words(
    staff: Client, program: Program, reminder: ScenarioStep, contact: Contact
) -> None:
    now = timezone.now()
    message(reminder, contact, 1, status=MessageStatus.DROPPED, reason=Audience.NOT_CONVERTED)
    message(
        reminder,
        contact,
        2,
        status=MessageStatus.SENT,
        sent_at=now,
        delayed_by=MessageRule.QUIET_HOURS,
        subject_line="Your offer waits",
    )
    message(
        reminder,
        contact,
        3,
        status=MessageStatus.FAILED,
        reason=MessageRule.RENDER_ERROR,
        error="unknown variable",
    )
    url = f"{BASE}contacts/{contact.pk}/"
    with translation.override("en"):
        page = staff.get(url).content.decode()
    assert "Condition no longer met: Friend has not ordered yet" in page
    assert "Delayed by: Quiet hours" in page
    assert "Template error" in page and "unknown variable" in page
    assert "Your offer waits" in page
    assert page.count('data-status="') == 3
    # The contact list links to the history.
    listing = staff.get(f"{BASE}contacts/?program={program.slug}").content.decode()
    assert url in listing
