"""Emails in the contact's language, with a working unsubscribe link."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.registration import register_referee

pytestmark = pytest.mark.django_db(transaction=True)


def test_invitation_in_french_carries_offer_share_link_and_unsubscribe() -> None:
    program = ProgramFactory(name="Maison Lumière")
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice", language="fr")
    invite_by_email(alice.contact, ["bob@example.org"], personal_message="Tu vas adorer")
    [message] = mail.outbox
    assert message.subject == "Une invitation : 15 % de remise chez Maison Lumière"
    assert "Alice pense que Maison Lumière va vous plaire" in message.body
    assert alice.share_url in message.body
    assert "Tu vas adorer" in message.body
    assert "Ne plus recevoir" in message.body


def test_english_contact_gets_english_welcome_email() -> None:
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com", language="en")
    registration = register_referee(program, alice.code, "bob@example.org")
    [message] = mail.outbox
    assert message.subject.startswith("Your welcome offer")
    assert registration.reward.code in message.body


def test_unsubscribe_link_stops_further_messages(client) -> None:
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com")
    invite_by_email(alice.contact, ["bob@example.org"])
    url = re.search(r"https?://\S+/parrain/unsubscribe/\S+/", mail.outbox[0].body).group(0)
    path = url.split("https://shop.example", 1)[1]

    # A mail scanner following the link (GET) must not unsubscribe.
    assert client.get(path).status_code == 200
    assert Contact.objects.get(email="bob@example.org").unsubscribed_at is None
    assert client.post(path).status_code == 200
    assert Contact.objects.get(email="bob@example.org").unsubscribed_at is not None
    assert AuditEvent.objects.filter(action="contact.unsubscribed").count() == 1

    mail.outbox.clear()
    register_referee(program, alice.code, "bob@example.org")
    assert mail.outbox == []


def test_tampered_unsubscribe_token_is_refused(client) -> None:
    response = client.post("/parrain/unsubscribe/not-a-valid-token/")
    assert response.status_code == 404


def test_links_reversed_once_per_batch_are_reverses_own() -> None:
    """The engine reverses the unsubscribe and share URLs once per batch: the same URLs."""
    from parrain.core.memo import batch_scope
    from parrain.core.messaging import unsubscribe_url
    from parrain.core.services.enrolment import share_url

    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com").contact
    odd = Contact.objects.create(program=program, email="o@example.org", referrer_code="a b/é")
    expected = [(unsubscribe_url(c), share_url(c)) for c in (alice, odd)]
    with batch_scope():
        assert [(unsubscribe_url(c), share_url(c)) for c in (alice, odd)] == expected
    assert expected[0][1].endswith(f"/r/{alice.referrer_code}")


@pytest.mark.parametrize("pk", [1, 7, 123456, 2**40 + 3])
def test_unsubscribe_token_is_signings_own(pk, settings, monkeypatch) -> None:
    """The token is written without ``signing.dumps`` (key derived once): the same string,
    verified by ``signing.loads`` as the one-click endpoint does, and bound to the key."""
    from django.core import signing

    from parrain.core.messaging import UNSUBSCRIBE_SALT, unsubscribe_token

    monkeypatch.setattr("time.time", lambda: 1_780_000_000.7)
    contact = Contact(pk=pk)
    token = unsubscribe_token(contact)
    assert token == signing.dumps(pk, salt=UNSUBSCRIBE_SALT)
    assert signing.loads(token, salt=UNSUBSCRIBE_SALT) == pk
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert unsubscribe_token(contact) == signing.dumps(pk, salt=UNSUBSCRIBE_SALT) != token
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt=UNSUBSCRIBE_SALT)
