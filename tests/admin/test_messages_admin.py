"""Scenarios and messages in the Django admin: the scenario timeline with its counts, steps
and pressure settings through the shared forms, the template editor (variables, refused
lines, preview, test send, reset), and the read-only message history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.messaging import sms
from parrain.core.models import MessageTemplate, Program, ScenarioStep, ScheduledMessage
from parrain.core.models.choices import MessageRule, MessageStatus

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}
STEPS = "/admin/parrain/scenariostep/"
TEMPLATES = "/admin/parrain/messagetemplate/"
HTML = (
    "<mj-section><mj-column><mj-text>Hello {{ contact_first_name }}</mj-text></mj-column>"
    "</mj-section>"
)


def _step_post(**extra: Any) -> dict[str, Any]:
    return {
        "name": "",
        "trigger": "invitation_sent",
        "delay_amount": "3",
        "delay_unit": "days",
        "channel": "email",
        "kind": "friend_reminder",
        "recipient": "friend",
        "audience": ["not_converted"],
        "is_active": "on",
        "position": "0",
        **extra,
    }


def _message(step: ScenarioStep, n: int, **fields: Any) -> ScheduledMessage:
    contact = fields.pop("contact", None) or ContactFactory(program=step.program)
    return ScheduledMessage.objects.create(
        program=step.program,
        step=step,
        contact=contact,
        kind=step.kind,
        channel=step.channel,
        dedupe_key=f"t:{step.pk}:{n}",
        due_at=timezone.now() - timedelta(hours=n),
        **fields,
    )


@pytest.fixture
def program() -> Program:
    return ProgramFactory(name="Boutique")


def _edit(program: Program, kind: str = "welcome", channel: str = "email", lang: str = "en") -> str:
    return f"{TEMPLATES}program/{program.pk}/{kind}/{channel}/{lang}/"


# The scenario


def test_scenario_timeline_groups_steps_with_their_counts(
    admin_client: Client, program: Program
) -> None:
    ScenarioStep.objects.filter(program=program).delete()
    later = ScenarioStep.objects.create(
        program=program,
        trigger="invitation_sent",
        delay_amount=3,
        delay_unit="days",
        kind="friend_reminder",
        recipient="friend",
        audience=["not_converted"],
    )
    ScenarioStep.objects.create(
        program=program, trigger="invitation_sent", kind="invitation", recipient="friend"
    )
    ScenarioStep.objects.create(
        program=program, trigger="order_placed", kind="incitation", recipient="contact"
    )
    _message(later, 1, status=MessageStatus.SENT, sent_at=timezone.now())
    _message(later, 2, status=MessageStatus.FAILED, reason=MessageRule.RENDER_ERROR)
    _message(later, 3, status=MessageStatus.DROPPED, reason="not_converted")
    _message(later, 4, delayed_by=MessageRule.PRESSURE_CAP)
    with translation.override("en"):
        page = admin_client.get(f"{STEPS}program/{program.pk}/", **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "When: Invitation sent" in html and "When: Order placed by any customer" in html
    assert html.index("at once") < html.index("after 3 days")  # ordered by delay
    assert "Friend has not ordered yet" in html
    row = html[html.index("after 3 days") :]
    assert f'href="{STEPS}{later.pk}/change/"' in row
    assert "status__exact=failed" in row  # the failed count links to the failed messages
    assert "At most 3 solicitations per contact" in html


def test_the_scenario_is_reached_from_the_index_and_the_program(
    admin_client: Client, program: Program
) -> None:
    index = admin_client.get("/admin/", **EN).content.decode()
    assert STEPS in index and TEMPLATES in index and "/admin/parrain/scheduledmessage/" in index
    assert admin_client.get(STEPS, **EN)["Location"] == f"{STEPS}program/{program.pk}/"
    ProgramFactory()
    chooser = admin_client.get(STEPS, **EN)
    assert chooser.status_code == 200 and "Boutique" in chooser.content.decode()
    change = admin_client.get(f"/admin/parrain/program/{program.pk}/change/", **EN)
    assert f"{STEPS}program/{program.pk}/" in change.content.decode()
    assert f"{TEMPLATES}program/{program.pk}/" in change.content.decode()


def test_add_change_and_delete_a_step_through_the_shared_form(
    admin_client: Client, program: Program
) -> None:
    before = ScenarioStep.objects.filter(program=program).count()
    response = admin_client.post(f"{STEPS}add/?program={program.pk}", _step_post(), **EN)
    assert response.status_code == 302, response.context["form"].errors
    step = ScenarioStep.objects.filter(program=program).latest("pk")
    assert ScenarioStep.objects.filter(program=program).count() == before + 1
    assert step.delay_amount == 3 and step.audience == ["not_converted"]
    assert response["Location"] == f"{STEPS}program/{program.pk}/"
    page = admin_client.get(f"{STEPS}{step.pk}/change/", **EN)
    assert page.status_code == 200
    response = admin_client.post(
        f"{STEPS}{step.pk}/change/", _step_post(delay_amount="5", is_active=""), **EN
    )
    assert response.status_code == 302, response.context["form"].errors
    step.refresh_from_db()
    assert step.delay_amount == 5 and not step.is_active
    response = admin_client.post(
        f"{STEPS}{step.pk}/delete/?program={program.pk}", {"post": "yes"}, **EN
    )
    assert response.status_code == 302
    assert response["Location"] == f"{STEPS}program/{program.pk}/"
    assert not ScenarioStep.objects.filter(pk=step.pk).exists()


def test_a_recipient_the_trigger_lacks_is_shown_on_the_form_nothing_stored(
    admin_client: Client, program: Program
) -> None:
    before = list(ScenarioStep.objects.values())
    response = admin_client.post(
        f"{STEPS}add/?program={program.pk}", _step_post(trigger="order_placed"), **EN
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert list(ScenarioStep.objects.values()) == before


def test_pressure_settings_through_the_shared_form(admin_client: Client, program: Program) -> None:
    url = f"{STEPS}program/{program.pk}/settings/"
    page = admin_client.get(url, **EN)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"messages_per_week": "2", "min_gap_hours": "24"})
    response = admin_client.post(url, data, **EN)
    assert response.status_code == 302, response.context["form"].errors
    program.refresh_from_db()
    assert program.messages_per_week == 2 and program.min_gap_hours == 24


# Templates


def test_templates_list_every_kind_channel_and_language(
    admin_client: Client, program: Program
) -> None:
    MessageTemplate.objects.create(
        program=program, kind="reward", channel="email", language="fr", subject="S", html=HTML
    )
    with translation.override("en"):
        page = admin_client.get(f"{TEMPLATES}program/{program.pk}/", **EN)
    html = page.content.decode()
    assert page.status_code == 200 and len(page.context["rows"]) == 10 * 2 * 2
    assert html.count("customised</strong>") == 1 and "Reward notice (referrer)" in html
    assert _edit(program, "invitation", "sms", "fr") in html


def test_templates_list_names_languages_and_who_changed_a_template(
    admin_client: Client, program: Program, django_user_model: Any
) -> None:
    # Given a template changed in Wagtail by Camille (stored as "wagtail:<pk>")
    camille = django_user_model.objects.create_user("camille", first_name="Camille")
    MessageTemplate.objects.create(
        program=program,
        kind="reward",
        channel="email",
        language="en",
        subject="S",
        html=HTML,
        updated_by=f"wagtail:{camille.pk}",
    )
    # Then the list reads the languages' names and Camille's name, never the codes
    page = admin_client.get(f"{TEMPLATES}program/{program.pk}/", **EN)
    html = page.content.decode()
    assert "<td>English</td>" in html and "<td>French</td>" in html
    assert "<td>en</td>" not in html and "<td>fr</td>" not in html
    assert "· Camille" in html and f"wagtail:{camille.pk}" not in html
    french = admin_client.get(f"{TEMPLATES}program/{program.pk}/", **FR).content.decode()
    assert "<td>Anglais</td>" in french
    # and the editor's title names the language too
    title = admin_client.get(_edit(program, "reward"), **EN).context["title"]
    assert str(title).endswith(", English")


def test_example_expiry_dates_are_ahead_of_today(admin_client: Client, program: Program) -> None:
    """The editor's examples (beside the variables, in previews and test sends) show an
    expiry to come, not a day already past (« 31 décembre 2025 »)."""
    from django.utils.formats import date_format

    from parrain.core.messaging.variables import example_context

    today = timezone.localdate()
    values = example_context(program, "reward", "en")
    assert values["reward_expiry"] == date_format(today + timedelta(days=90), "DATE_FORMAT")
    welcome = example_context(program, "welcome", "fr")["welcome_expiry"]
    with translation.override("fr"):
        assert welcome == date_format(today + timedelta(days=30), "DATE_FORMAT")


def test_a_sent_message_is_titled_with_its_contact_not_an_id(program: Program) -> None:
    step = ScenarioStep.objects.create(
        program=program, trigger="invitation_sent", kind="friend_reminder", recipient="friend"
    )
    camille = ContactFactory(
        program=program, email="camille@example.com", first_name="Camille", last_name="Martin"
    )
    named = _message(step, 1, contact=camille)
    assert str(named) == "Reminder to the friend → Camille Martin <camille@example.com> (Waiting)"
    anonymous = _message(step, 2, contact=ContactFactory(program=program, first_name=""))
    assert f"→ {anonymous.contact.email} (" in str(anonymous)


def test_edit_page_lists_the_variables_by_label_and_saves(
    admin_client: Client, program: Program
) -> None:
    with translation.override("en"):
        page = admin_client.get(_edit(program), **EN)
    html = page.content.decode()
    assert page.status_code == 200
    assert "{{ welcome_code }}" in html
    labels = [v["label"] for v in page.context["variables"]]
    assert all(label and " " in label or label[0].isupper() for label in labels)
    assert 'sandbox src="' in html and "preview/" in html
    response = admin_client.post(
        _edit(program), {"subject": "Code {{ welcome_code }}", "html": HTML, "text": ""}, **EN
    )
    assert response.status_code == 302, response.context["form"].errors
    saved = MessageTemplate.objects.get(program=program, kind="welcome", language="en")
    assert saved.html == HTML and saved.updated_by == "admin"


def test_a_refused_template_shows_the_line_and_stores_nothing(
    admin_client: Client, program: Program
) -> None:
    bad = HTML + "\n\n{{ unknown_thing }}"
    with translation.override("en"):
        response = admin_client.post(
            _edit(program), {"subject": "Hi", "html": bad, "text": ""}, **EN
        )
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["form"].errors.get("html", []))
    assert "3" in errors and "unknown_thing" in errors, response.context["form"].errors
    assert "unknown_thing" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_preview_renders_the_draft_with_example_values(
    admin_client: Client, program: Program
) -> None:
    current = admin_client.get(f"{_edit(program)}preview/", **EN)
    assert current.status_code == 200
    assert "sandbox" in current["Content-Security-Policy"]
    assert current["X-Frame-Options"] == "SAMEORIGIN"
    draft = admin_client.post(
        f"{_edit(program)}preview/", {"subject": "Yo {{ welcome_code }}", "html": HTML}, **EN
    )
    body = draft.content.decode()
    assert "Yo " in body and "{{ welcome_code }}" not in body and "Hello " in body
    refused = admin_client.post(f"{_edit(program)}preview/", {"html": "{% include 'x' %}"})
    assert refused.status_code == 200 and "Line 1" in refused.content.decode()
    assert not MessageTemplate.objects.exists()


def test_send_a_test_to_me_arrives_in_the_outbox(
    admin_client: Client, admin_user: Any, program: Program
) -> None:
    admin_user.email = "owner@shop.example"
    admin_user.save()
    response = admin_client.post(
        _edit(program),
        {"subject": "Code {{ welcome_code }}", "html": HTML, "text": "", "_test": "1"},
        **EN,
    )
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@shop.example"]
    assert "[TEST]" in mail.outbox[0].subject and "Code " in mail.outbox[0].subject
    assert not MessageTemplate.objects.exists()  # a test saves nothing


def test_sms_editor_counts_segments_and_sends_a_test_to_a_number(
    admin_client: Client, program: Program, settings: Any
) -> None:
    settings.PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.LocmemBackend"}
    sms.LocmemBackend.outbox.clear()
    url = _edit(program, "welcome", "sms", "fr")
    page = admin_client.get(url, **EN).content.decode()
    assert "parrain/sms_counter.js" in page and "data-parrain-sms-counter" in page
    response = admin_client.post(
        url, {"text": "Code {{ welcome_code }}", "test_to": "06 12 34 56 78", "_test": "1"}, **EN
    )
    assert response.status_code == 200
    assert [m.to for m in sms.LocmemBackend.outbox] == ["+33612345678"]


def test_reset_to_default_and_the_wagtail_note(admin_client: Client, program: Program) -> None:
    MessageTemplate.objects.create(
        program=program,
        kind="welcome",
        channel="email",
        language="en",
        subject="Mine",
        html="<p>Mine</p>",
        designed_with="wagtail",
    )
    with translation.override("en"):
        page = admin_client.get(_edit(program), **EN).content.decode()
    assert "designed in Wagtail" in page and "Reset to default" in page
    response = admin_client.post(_edit(program), {"_reset": "1"}, **EN)
    assert response.status_code == 302
    assert not MessageTemplate.objects.exists()


def test_french_pages_render(admin_client: Client, program: Program) -> None:
    with translation.override("fr"):
        for url in (
            f"{STEPS}program/{program.pk}/",
            f"{TEMPLATES}program/{program.pk}/",
            _edit(program, "incitation", "email", "fr"),
        ):
            assert admin_client.get(url, **FR).status_code == 200, url


# What was sent


def test_messages_list_filters_and_the_contact_history(
    admin_client: Client, program: Program
) -> None:
    step = ScenarioStep.objects.create(
        program=program, trigger="invitation_sent", kind="friend_reminder", recipient="friend"
    )
    camille = ContactFactory(program=program, email="camille@example.com")
    _message(step, 1, contact=camille, status=MessageStatus.DROPPED, reason="not_converted")
    _message(step, 2, status=MessageStatus.SENT, sent_at=timezone.now())
    with translation.override("en"):
        listing = admin_client.get("/admin/parrain/scheduledmessage/?q=camille", **EN)
        html = listing.content.decode()
        assert "Friend has not ordered yet" in html and html.count("Dropped") >= 1
        failed = admin_client.get("/admin/parrain/scheduledmessage/?status__exact=failed", **EN)
        assert "Friend has not ordered yet" not in failed.content.decode()
        contact_page = admin_client.get(f"/admin/parrain/contact/{camille.pk}/change/", **EN)
    assert "Message history" in contact_page.content.decode()
    assert "Friend has not ordered yet" in contact_page.content.decode()
    every = admin_client.get(f"/admin/parrain/scheduledmessage/?contact__id__exact={camille.pk}")
    assert every.status_code == 200 and len(every.context["cl"].result_list) == 1
    message = ScheduledMessage.objects.filter(contact=camille).get()
    detail = admin_client.get(f"/admin/parrain/scheduledmessage/{message.pk}/change/", **EN)
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert "Friend has not ordered yet" in detail.content.decode()


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """These tests read the English wording (a request without Accept-Language gets it too);
    the French catalogue is checked by the tests that ask for French."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
