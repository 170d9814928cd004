"""Outbound ``consent.changed``: a contact's new answer for a channel reaches the shop's
server (its CRM or email platform keeps its own list), from every place a person answers
one at a time; an answer older than the one held, and a file import's rows, send none; an
erasure scrubs the events that named the person."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from parrain.core.factories import ContactFactory
from parrain.core.models import Contact, Program
from parrain.core.models.choices import ConsentChannel, ConsentSource
from parrain.core.services import consents, contact_imports
from parrain.core.services.contacts import set_email_unsubscribed, sms_unsubscribe
from parrain.core.services.erasure import erase_contact
from parrain.plugins.generic_webhook.models import OutboundEndpoint, OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(program: Program) -> OutboundEndpoint:
    return OutboundEndpoint.objects.create(program=program, url="https://hooks.shop.example/p")


def changes() -> list[dict]:
    found = OutboundMessage.objects.filter(event_type="consent.changed").order_by("pk")
    return [m.payload["data"] for m in found]


def test_answers_given_one_at_a_time_are_sent_with_where_and_when(
    program: Program, endpoint: OutboundEndpoint
) -> None:
    _, key = program.create_api_key("tests")
    response = Client().put(
        f"/api/v1/programs/{program.slug}/contacts",
        {"email": "ana@example.com", "consent_recontact": True},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 201
    ana = Contact.objects.get(email="ana@example.com")
    set_email_unsubscribed(ana, True, actor="contact", source=ConsentSource.UNSUBSCRIBE)

    given, withdrawn = changes()
    assert given["contact"]["email"] == "ana@example.com" and given["program"] == program.slug
    assert (given["channel"], given["given"], given["source"]) == ("email", True, "api")
    assert (withdrawn["channel"], withdrawn["given"]) == ("email", False)
    assert withdrawn["source"] == "unsubscribe"
    record = consents.latest(ana)["email"]
    assert withdrawn["at"] == record.at.isoformat()
    assert withdrawn["text_version"] == record.text_version


def test_an_sms_stop_reply_is_sent_for_each_contact_it_stops(
    program: Program, endpoint: OutboundEndpoint
) -> None:
    ContactFactory(program=program, email="bo@example.com", phone="+33612345678")

    assert sms_unsubscribe("+33612345678") == 1

    [stop] = changes()
    assert (stop["channel"], stop["given"], stop["source"]) == ("sms", False, "sms_stop")
    assert stop["contact"]["email"] == "bo@example.com"


def test_an_older_answer_kept_as_proof_sends_nothing(
    program: Program, endpoint: OutboundEndpoint
) -> None:
    cy = ContactFactory(program=program, email="cy@example.com")
    consents.record(cy, ConsentChannel.EMAIL, True, source=ConsentSource.WIDGET)
    consents.record(
        cy,
        ConsentChannel.EMAIL,
        False,
        source=ConsentSource.WEBHOOK,
        at=timezone.now() - timedelta(days=30),  # a late webhook
    )

    [only] = changes()
    assert only["given"] is True
    assert Contact.objects.get(pk=cy.pk).consent_recontact is True


def test_a_file_import_sends_its_one_event_not_one_per_row(
    program: Program, endpoint: OutboundEndpoint, django_capture_on_commit_callbacks
) -> None:
    body = b"E-mail;Optin\r\na@example.com;oui\r\nb@example.com;non\r\n"
    started = contact_imports.start(program, io.BytesIO(body), "clients.csv", actor="t")
    with django_capture_on_commit_callbacks(execute=True):
        contact_imports.confirm(started, actor="t")

    assert Contact.objects.get(email="a@example.com").consent_recontact is True
    assert changes() == []
    assert OutboundMessage.objects.filter(event_type="contacts.imported").count() == 1


def test_an_erasure_scrubs_the_events_that_named_the_person(
    program: Program, endpoint: OutboundEndpoint
) -> None:
    dee = ContactFactory(program=program, email="dee@example.com", first_name="Dee")
    consents.record(dee, ConsentChannel.EMAIL, True, source=ConsentSource.WIDGET)

    erase_contact(dee, actor="admin")

    [message] = OutboundMessage.objects.filter(event_type="consent.changed")
    assert "dee@example.com" not in str(message.payload)
    assert "Dee" not in str(message.payload)
