"""Templates of scenario messages: composed from the default or the owner's template,
sandboxed, sent through a real SMTP server with one-click unsubscribe headers."""

from __future__ import annotations

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
