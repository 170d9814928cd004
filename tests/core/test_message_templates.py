"""Templates of scenario messages: composed from the default or the owner's template,
sandboxed, sent through a real SMTP server with one-click unsubscribe headers."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone, translation

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.messaging.email import email_message
from parrain.core.messaging.templates import compose
from parrain.core.models import Contact, ScheduledMessage
from parrain.core.models.choices import MessageChannel, MessageKind
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import issue_invitation

pytestmark = pytest.mark.django_db


def invitation_message(program, *, language="fr", note="Tu vas adorer"):  # type: ignore[no-untyped-def]
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice", language=language)
    friend = ContactFactory(
        program=program, email="bob@example.org", first_name="", language=language
    )
    invitation, _referral = issue_invitation(alice.contact, friend, "email", timezone.now())
    message = ScheduledMessage.objects.create(
        program=program,
        contact=friend,
        kind=MessageKind.INVITATION,
        channel=MessageChannel.EMAIL,
        subject_type="invitation",
        subject_id=invitation.pk,
        context={"personal_message": note},
        dedupe_key=f"invitation:{friend.pk}:invitation:{invitation.pk}",
        due_at=timezone.now(),
    )
    return message, alice


def test_invitation_through_real_smtp_has_both_parts_variables_footer_and_headers(
    smtp_server, client
) -> None:
    program = ProgramFactory(
        name="Maison Lumière",
        legal_footer={"fr": "Maison Lumière SAS, RCS Lyon 123 456 789", "en": "Maison Lumière Ltd"},
        shop_address="3 rue des Lampes\n69001 Lyon",
        brand_colour="#aa3300",
    )
    message, alice = invitation_message(program, note="Tu vas <b>adorer</b>")

    email_message(compose(message)).send()

    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["bob@example.org"]
    assert received.subject == "Une invitation : 15 % de remise chez Maison Lumière"
    for part in (received.text, received.html):
        assert "Alice pense que Maison Lumière va vous plaire" in part
        assert alice.share_url in part
        assert "Maison Lumière SAS, RCS Lyon 123 456 789" in part
        assert "69001 Lyon" in part
        assert "Ne plus recevoir les messages de Maison Lumière" in part
    # The friend's note is text, never HTML.
    assert "Tu vas &lt;b&gt;adorer&lt;/b&gt;" in received.html
    assert "Tu vas <b>adorer</b>" in received.text
    assert "#aa3300" in received.html
    assert "{{" not in received.html and "{%" not in received.html

    unsubscribe = received["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://shop.example/parrain/unsubscribe/")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in received.text  # the plain link too

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL.
    path = unsubscribe[1:-1].removeprefix("https://shop.example")
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Contact.objects.get(email="bob@example.org").unsubscribed_at is not None


def test_english_recipient_gets_the_english_layout_and_no_note_paragraph() -> None:
    program = ProgramFactory(name="Lumen", legal_footer={"fr": "Mentions FR"})
    message, _alice = invitation_message(program, language="en", note="")
    program.languages = ["fr", "en"]
    program.save()
    composed = compose(message)
    assert composed.subject == "An invitation: 15% off at Lumen"
    assert "Alice thinks you will like Lumen" in composed.text
    assert "Their message" not in composed.text
    assert "Stop receiving messages from Lumen" in composed.text
    # No footer in English: the default language's is used rather than none.
    assert "Mentions FR" in composed.text
    with translation.override("en"):
        assert composed.to == "bob@example.org"


# -- the owner's templates --------------------------------------------------------------------

from parrain.core.exceptions import TemplateRefused  # noqa: E402
from parrain.core.forms.messages import MessageTemplateForm  # noqa: E402
from parrain.core.messaging.render import RenderError  # noqa: E402
from parrain.core.models import AuditEvent, MessageTemplate  # noqa: E402
from parrain.core.services.message_templates import (  # noqa: E402
    reset_template,
    save_template,
    send_test,
)


def test_saved_template_is_used_at_once_and_reset_goes_back_to_the_default() -> None:
    program = ProgramFactory(name="Lumen")
    message, _alice = invitation_message(program)
    assert compose(message).subject.startswith("Une invitation")  # default, now cached

    save_template(
        program,
        "invitation",
        "email",
        "fr",
        subject="{{ referrer_first_name }} vous invite chez {{ shop_name }}",
        html="<p>Votre offre : <b>{{ offer_referee }}</b></p>",
        actor="owner@shop",
    )
    composed = compose(message)
    assert composed.subject == "Alice vous invite chez Lumen"
    assert "<b>15 % de remise</b>" in composed.html
    assert "Votre offre : 15 % de remise" in composed.text
    # The layout is still there around the owner's HTML.
    assert "Ne plus recevoir les messages de Lumen" in composed.text
    assert AuditEvent.objects.filter(action="message_template.saved").count() == 1

    assert reset_template(program, "invitation", "email", "fr", actor="owner@shop")
    assert compose(message).subject.startswith("Une invitation")
    assert not MessageTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="message_template.reset").count() == 1


@pytest.mark.parametrize(
    ("parts", "part", "line", "reason"),
    [
        ({"html": "<p>Bonjour</p>\n<p>{{ welcom_code }}</p>"}, "html", 2, "welcom_code"),
        ({"subject": "Offre {% if offer_referee %}"}, "subject", 1, "Syntax error"),
        ({"text": "a\nb\n{{ ''.__class__ }}"}, "text", 3, "Only plain variable names"),
        ({"html": "<mj-section><mj-column><mj-text>x</mj-column>"}, "html", 1, "MJML"),
    ],
)
def test_template_with_a_problem_is_refused_with_its_line_and_nothing_stored(
    parts, part, line, reason
) -> None:
    program = ProgramFactory()
    with translation.override("en"), pytest.raises(TemplateRefused) as refused:
        save_template(program, "welcome", "email", "fr", actor="owner", **parts)
    assert refused.value.status == 422
    [problem] = refused.value.problems[part]
    assert problem.line == line and reason in problem.message
    assert (part, f"Line {line}: {problem.message}") in refused.value.errors
    assert not MessageTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action="message_template.saved").exists()


def test_form_puts_each_problem_on_its_field_with_the_line() -> None:
    program = ProgramFactory()
    data = {"subject": "Bienvenue {{ nom }}", "html": "<p>ok</p>\n{% include 'x' %}", "text": ""}
    with translation.override("en"):
        form = MessageTemplateForm(
            data, program=program, kind="welcome", channel="email", language="fr"
        )
        assert not form.is_valid()
    assert form.errors["subject"] == ["Line 1: Unknown variable “nom” for this message."]
    assert form.errors["html"] == [
        "Line 2: Including, importing or extending another template is not allowed."
    ]
    assert not MessageTemplate.objects.exists()

    good = MessageTemplateForm(
        {"subject": "Bienvenue chez {{ shop_name }}", "html": "", "text": ""},
        program=program,
        kind="welcome",
        channel="email",
        language="fr",
    )
    assert good.is_valid(), good.errors
    template = good.save(actor="owner")
    assert template.subject == "Bienvenue chez {{ shop_name }}"
    assert {v.name for v in good.variables} >= {"welcome_code", "offer_referee"}


def test_sms_form_has_only_the_text() -> None:
    program = ProgramFactory()
    form = MessageTemplateForm(program=program, kind="welcome", channel="sms", language="fr")
    assert list(form.fields) == ["text"]
    assert "{{ welcome_code }}" in form.initial["text"]


def test_template_failing_at_render_time_raises_render_error() -> None:
    """A row that escaped the check (written before a rule existed, or by code) fails the
    message whole: the engine marks it failed with the reason."""
    program = ProgramFactory()
    message, _alice = invitation_message(program)
    MessageTemplate.objects.create(
        program=program,
        kind="invitation",
        channel="email",
        language="fr",
        subject="Salut {{ not_a_variable }}",
    )
    with pytest.raises(RenderError, match="not_a_variable"):
        compose(message)
    MessageTemplate.objects.filter(program=program).update(
        subject="ok", html="<p>{{ ''.__class__.__mro__ }}</p>"
    )
    from parrain.core.messaging.templates import forget

    forget()
    with pytest.raises(RenderError):
        compose(message)


def test_send_test_reaches_the_smtp_server_marked_test(smtp_server) -> None:
    program = ProgramFactory(name="Lumen")
    composed = send_test(
        program,
        "welcome",
        "email",
        "fr",
        "owner@shop.example",
        html="<p>Code : {{ welcome_code }}</p>",
    )
    [received] = smtp_server.wait_for(1)
    assert received.subject == composed.subject
    assert received.subject.startswith("[TEST] ")
    assert "Code : BIENVENUE-7K2Q" in received.text
    assert "<p>Code : BIENVENUE-7K2Q</p>" in received.html
    assert not MessageTemplate.objects.exists()  # a test send saves nothing

    with pytest.raises(TemplateRefused):
        send_test(program, "welcome", "email", "fr", "owner@shop.example", html="{{ x.y }}")
    from parrain.core.exceptions import InvalidInput

    with pytest.raises(InvalidInput):
        send_test(program, "welcome", "email", "fr", "not an address")


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """These tests read the English wording (a request without Accept-Language gets it too);
    the French catalogue is checked by the tests that ask for French."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
