"""Server API of scenarios and messages: the steps with their counts, the pressure settings,
the templates (save, refusal with lines, reset, preview, test send) and a contact's message
history; every refusal a clear 4xx that leaves what was stored as it was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args

import pytest
from django.core import mail
from django.utils import timezone, translation

from parrain.core.api import message_schemas as s
from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.messaging import sms
from parrain.core.models import AuditEvent, MessageTemplate, Program, ScenarioStep, ScheduledMessage
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

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db

STEP = {
    "trigger": "invitation_sent",
    "delay_amount": 2,
    "delay_unit": "days",
    "channel": "email",
    "kind": "friend_reminder",
    "recipient": "friend",
    "audience": ["not_claimed", "not_converted"],
}
HTML = (
    "<mj-section><mj-column><mj-text>Hi {{ contact_first_name }}</mj-text></mj-column></mj-section>"
)


def _steps() -> list[dict[str, Any]]:
    return list(ScenarioStep.objects.order_by("pk").values())


def _message(step: ScenarioStep, contact: Any, n: int, **fields: Any) -> ScheduledMessage:
    defaults = {
        "program": step.program,
        "step": step,
        "contact": contact,
        "kind": step.kind,
        "channel": step.channel,
        "dedupe_key": f"test:{step.pk}:{contact.pk}:{n}",
        "due_at": timezone.now() - timedelta(hours=n),
    }
    return ScheduledMessage.objects.create(**{**defaults, **fields})


def test_literals_are_the_model_choices() -> None:
    assert set(get_args(s.TriggerIn)) == set(Trigger.values)
    assert set(get_args(s.KindIn)) == set(MessageKind.values)
    assert set(get_args(s.StepKindIn)) == set(MessageKind.values) - {"confirmation"}
    assert set(get_args(s.ChannelIn)) == set(MessageChannel.values)
    assert set(get_args(s.RecipientIn)) == set(Recipient.values)
    assert set(get_args(s.AudienceIn)) == set(Audience.values)
    assert set(get_args(s.DelayUnitIn)) == set(DelayUnit.values)
    assert set(get_args(s.StatusOut)) == set(MessageStatus.values)


# Steps


def test_create_read_list_patch_delete_a_step_with_its_counts(api: ApiClient) -> None:
    created = api.call("post", "/scenario/steps", STEP)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["trigger_label"] == "Invitation sent" and body["kind"] == "friend_reminder"
    assert body["counts"] == {"sent": 0, "delayed": 0, "dropped": 0, "failed": 0, "waiting": 0}
    step = ScenarioStep.objects.get(pk=body["id"])
    contact = ContactFactory(program=api.program)
    now = timezone.now()
    _message(step, contact, 1, status=MessageStatus.SENT, sent_at=now)
    _message(step, contact, 2, status=MessageStatus.SENT, sent_at=now, delayed_by="quiet_hours")
    _message(step, contact, 3, status=MessageStatus.DROPPED, reason="not_converted")
    _message(step, contact, 4, status=MessageStatus.FAILED, reason="render_error")
    _message(step, contact, 5)
    listed = api.call("get", "/scenario/steps").json()["items"]
    mine = next(item for item in listed if item["id"] == step.pk)
    assert mine["counts"] == {"sent": 2, "delayed": 1, "dropped": 1, "failed": 1, "waiting": 1}
    assert api.call("get", f"/scenario/steps/{step.pk}").json()["counts"]["sent"] == 2
    patched = api.call("patch", f"/scenario/steps/{step.pk}", {"delay_amount": 5, "name": "R"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["delay_amount"] == 5 and patched.json()["label"] == "R"
    assert api.call("delete", f"/scenario/steps/{step.pk}").status_code == 204
    assert not ScenarioStep.objects.filter(pk=step.pk).exists()
    assert ScheduledMessage.objects.filter(status=MessageStatus.SENT).count() == 2
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"scenario.step_created", "scenario.step_updated", "scenario.step_deleted"} <= actions


def test_steps_are_listed_by_trigger_then_delay(api: ApiClient) -> None:
    ScenarioStep.objects.filter(program=api.program).delete()
    for amount, unit in ((3, "days"), (2, "hours"), (0, "minutes")):
        api.call("post", "/scenario/steps", {**STEP, "delay_amount": amount, "delay_unit": unit})
    api.call("post", "/scenario/steps", {**STEP, "trigger": "friend_claimed"})
    items = api.call("get", "/scenario/steps").json()["items"]
    order = [(i["trigger"], i["delay_amount"]) for i in items]
    assert order == [
        ("invitation_sent", 0),
        ("invitation_sent", 2),
        ("invitation_sent", 3),
        ("friend_claimed", 2),
    ]


def test_a_recipient_the_trigger_lacks_is_refused_nothing_stored(api: ApiClient) -> None:
    before = _steps()
    body = assert_problem(
        api.call("post", "/scenario/steps", {**STEP, "trigger": "order_placed"}), 422, "recipient"
    )
    assert "contact" in body["errors"][0]["message"].lower()
    assert _steps() == before
    step_id = api.call("post", "/scenario/steps", STEP).json()["id"]
    before = _steps()
    response = api.call("patch", f"/scenario/steps/{step_id}", {"trigger": "order_placed"})
    assert_problem(response, 422, "recipient")
    assert _steps() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("trigger", "moon_landing"),
        ("kind", "newsletter"),
        ("audience", ["rich"]),
        ("channel", "pigeon"),
        ("delay_unit", "weeks"),
        ("delay_amount", -1),
    ],
)
def test_unknown_values_are_a_422_naming_the_field(api: ApiClient, field: str, value: Any) -> None:
    before = _steps()
    body = assert_problem(api.call("post", "/scenario/steps", {**STEP, field: value}), 422)
    assert any(e["field"].startswith(field) for e in body["errors"]), body
    assert _steps() == before


def test_null_in_a_patch_is_refused(api: ApiClient) -> None:
    step_id = api.call("post", "/scenario/steps", STEP).json()["id"]
    before = _steps()
    assert_problem(api.call("patch", f"/scenario/steps/{step_id}", {"kind": None}), 422, "kind")
    assert _steps() == before


def test_keys_and_other_programs(api: ApiClient) -> None:
    other = ProgramFactory()
    _, other_key = other.create_api_key("other")
    assert_problem(api.call("get", "/scenario/steps", key=""), 401)
    assert_problem(api.call("get", "/scenario/steps", key=other_key), 401)
    assert_problem(api.call("post", "/scenario/steps", STEP, key="sk_wrong"), 401)
    assert_problem(api.call("get", "/scenario/steps", slug="nope"), 404)
    foreign = ScenarioStep.objects.create(
        program=other, trigger="order_placed", kind="incitation", recipient="contact"
    )
    assert_problem(api.call("get", f"/scenario/steps/{foreign.pk}"), 404, "step_id")
    assert_problem(api.call("delete", f"/scenario/steps/{foreign.pk}"), 404, "step_id")
    assert ScenarioStep.objects.filter(pk=foreign.pk).exists()


# Settings


def test_settings_read_and_change(api: ApiClient) -> None:
    got = api.call("get", "/scenario/settings").json()
    assert got["messages_per_week"] == 3 and got["time_zone"] == api.program.time_zone
    changes = {
        "messages_per_week": 2,
        "quiet_hours_start": "20:30",
        "quiet_hours_end": "09:00",
        "min_gap_hours": 24,
        "legal_footer": {"fr": "Boutique SAS, Lyon", "en": "Boutique Ltd, Lyon"},
        "shop_address": "1 rue de la Paix, 69001 Lyon",
        "review_url": "https://reviews.example/shop",
    }
    response = api.call("patch", "/scenario/settings", changes)
    assert response.status_code == 200, response.content
    program = Program.objects.get(pk=api.program.pk)
    assert program.messages_per_week == 2 and program.min_gap_hours == 24
    assert program.quiet_hours_start.strftime("%H:%M") == "20:30"
    assert program.legal_footer == {"fr": "Boutique SAS, Lyon", "en": "Boutique Ltd, Lyon"}
    assert response.json()["review_url"] == "https://reviews.example/shop"
    off = api.call(
        "patch", "/scenario/settings", {"quiet_hours_start": None, "quiet_hours_end": None}
    )
    assert off.json()["quiet_hours_start"] is None
    assert AuditEvent.objects.filter(action="scenario.settings_changed").count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quiet_hours_start": "20:00"}, "quiet_hours_end"),
        ({"legal_footer": {"de": "GmbH"}}, "legal_footer.de"),
        ({"review_url": "javascript:alert(1)"}, "review_url"),
        ({"messages_per_week": -1}, "messages_per_week"),
        ({"min_gap_hours": None}, "min_gap_hours"),
        ({"unknown": 1}, "unknown"),
        ({"quiet_hours_end": "25:00"}, "quiet_hours_end"),
    ],
)
def test_bad_settings_are_refused_nothing_stored(
    api: ApiClient, changes: dict[str, Any], field: str
) -> None:
    before = Program.objects.filter(pk=api.program.pk).values().get()
    assert_problem(api.call("patch", "/scenario/settings", changes), 422, field)
    assert Program.objects.filter(pk=api.program.pk).values().get() == before


# Templates


def test_templates_list_every_kind_channel_and_language(api: ApiClient) -> None:
    items = api.call("get", "/message-templates").json()["items"]
    assert len(items) == len(MessageKind) * len(MessageChannel) * len(api.program.languages)
    assert not any(item["customised"] for item in items)
    first = items[0]
    assert first["kind_label"] and first["channel_label"] and first["updated_at"] is None


def test_a_template_is_read_saved_and_reset(api: ApiClient) -> None:
    path = "/message-templates/welcome/email/en"
    default = api.call("get", path).json()
    assert default["customised"] is False and default["subject"] and default["html"]
    names = {v["name"]: v for v in default["variables"]}
    assert "welcome_code" in names and names["welcome_code"]["label"] != "welcome_code"
    saved = api.call(
        "put", path, {"subject": "Your code {{ welcome_code }}", "html": HTML, "text": ""}
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["customised"] is True and saved.json()["html"] == HTML
    row = MessageTemplate.objects.get(program=api.program, kind="welcome", language="en")
    assert row.subject == "Your code {{ welcome_code }}"
    listed = api.call("get", "/message-templates").json()["items"]
    mine = [
        i for i in listed if (i["kind"], i["channel"], i["language"]) == ("welcome", "email", "en")
    ]
    assert mine[0]["customised"] is True
    assert api.call("delete", path).status_code == 204
    assert not MessageTemplate.objects.filter(program=api.program).exists()
    assert api.call("get", path).json() == default


def test_a_refused_template_lists_each_problem_with_its_line(api: ApiClient) -> None:
    path = "/message-templates/welcome/email/en"
    api.call("put", path, {"subject": "Hello", "html": HTML})
    before = list(MessageTemplate.objects.values())
    bad_html = HTML + "\n\n{{ ''.__class__ }}"
    response = api.call(
        "put", path, {"subject": "Hi {{ nobody_knows }}", "html": bad_html, "text": "{% if %}"}
    )
    body = assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"subject", "html", "text"}, body
    html_error = next(e for e in body["errors"] if e["field"] == "html")
    assert html_error["message"].startswith("Line 3:"), html_error
    assert list(MessageTemplate.objects.values()) == before


def test_templates_refuse_a_language_the_program_lacks_and_unknown_kinds(api: ApiClient) -> None:
    assert_problem(api.call("get", "/message-templates/welcome/email/de"), 422, "language")
    assert_problem(api.call("put", "/message-templates/newsletter/email/en", {}), 422)
    assert not MessageTemplate.objects.exists()


def test_preview_an_email_draft_with_example_values(api: ApiClient) -> None:
    response = api.call(
        "post",
        "/message-templates/welcome/email/en/preview",
        {"subject": "Code {{ welcome_code }}", "html": HTML},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"].startswith("Code ") and "{{" not in body["subject"]
    assert "<html" in body["html"].lower() and "Hi " in body["html"]
    assert body["text"] and body["sms"] is None
    assert not MessageTemplate.objects.exists()


def test_preview_an_sms_counts_its_segments(api: ApiClient) -> None:
    text = "Bonjour {{ contact_first_name }}, votre code : {{ welcome_code }} " + "x" * 150
    response = api.call("post", "/message-templates/welcome/sms/fr/preview", {"text": text})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sms"]["encoding"] == "GSM-7" and body["sms"]["segments"] == 2
    assert body["subject"] == "" and body["html"] == ""


def test_preview_of_a_bad_draft_is_a_422(api: ApiClient) -> None:
    response = api.call(
        "post", "/message-templates/welcome/sms/en/preview", {"text": "{% include 'x' %}"}
    )
    assert_problem(response, 422, "text")


def test_test_send_an_email_and_an_sms(api: ApiClient, settings: Any) -> None:
    settings.PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.LocmemBackend"}
    sms.LocmemBackend.outbox.clear()
    response = api.call(
        "post", "/message-templates/welcome/email/en/test", {"to": "owner@shop.example"}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"channel": "email", "to": "owner@shop.example"}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@shop.example"]
    assert "[TEST]" in mail.outbox[0].subject
    response = api.call("post", "/message-templates/welcome/sms/fr/test", {"to": "06 12 34 56 78"})
    assert response.status_code == 200, response.content
    assert response.json()["to"] == "+33612345678"
    assert [m.to for m in sms.LocmemBackend.outbox] == ["+33612345678"]


def test_test_send_to_a_bad_address_is_refused(api: ApiClient) -> None:
    path = "/message-templates/welcome/{}/en/test"
    assert_problem(api.call("post", path.format("email"), {"to": "not an email"}), 422, "to")
    assert_problem(api.call("post", path.format("sms"), {"to": "12"}), 422, "to")
    assert not mail.outbox


# A contact's history


def test_a_contacts_history_page_by_page_with_labels(api: ApiClient) -> None:
    step = ScenarioStep.objects.create(
        program=api.program, trigger="invitation_sent", kind="friend_reminder", recipient="friend"
    )
    contact = ContactFactory(program=api.program, email="camille@example.com", external_id="C-1")
    other = ContactFactory(program=api.program)
    _message(step, other, 1)
    _message(step, contact, 1, status=MessageStatus.DROPPED, reason=Audience.NOT_CONVERTED)
    _message(step, contact, 2, status="sent", delayed_by=MessageRule.QUIET_HOURS, subject_line="S")
    _message(step, contact, 3, status=MessageStatus.FAILED, reason=MessageRule.RENDER_ERROR)
    first = api.call("get", "/contacts/camille@example.com/messages?limit=2")
    assert first.status_code == 200, first.content
    page = first.json()
    assert page["contact_id"] == contact.pk and len(page["items"]) == 2 and page["next_cursor"]
    dropped = page["items"][0]
    assert (
        dropped["status"] == "dropped" and dropped["reason_label"] == "Friend has not ordered yet"
    )
    assert page["items"][1]["delayed_by_label"] == "Quiet hours"
    rest = api.call(
        "get", f"/contacts/C-1/messages?by=external_id&limit=2&cursor={page['next_cursor']}"
    ).json()
    assert [i["reason"] for i in rest["items"]] == ["render_error"] and rest["next_cursor"] is None


def test_history_of_an_unknown_contact_or_a_bad_cursor(api: ApiClient) -> None:
    assert_problem(api.call("get", "/contacts/nobody@example.com/messages"), 404, "contact")
    ContactFactory(program=api.program, email="a@example.com")
    assert_problem(api.call("get", "/contacts/a@example.com/messages?cursor=zzz"), 400, "cursor")


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """These tests read the English wording (a request without Accept-Language gets it too);
    the French catalogue is checked by the tests that ask for French."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
