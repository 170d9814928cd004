"""The customer's account page: which messages they accept. Emails can be stopped (and
started again); SMS need their own consent and a valid mobile number, stored in E.164."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from oscar.test.factories import UserFactory

from parrain.core.models import AuditEvent, Contact, Program
from parrain.core.services.enrolment import enrol_referrer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
PAGE = "/shop/accounts/referrals/"


@pytest.fixture
def customer(program: Program) -> tuple[Client, Contact]:
    user = UserFactory(email="alice@example.com", first_name="Alice")
    enrol_referrer(program, user.email)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client, Contact.objects.get(program=program, email="alice@example.com")


def test_account_page_shows_email_state_and_the_sms_box(customer: tuple[Client, Contact]) -> None:
    client, _ = customer
    with translation.override("en"):
        page = client.get(PAGE).content.decode()
    assert 'id="parrain-preferences"' in page
    assert "We email you at alice@example.com." in page
    assert 'name="sms"' in page and 'name="phone"' in page


def test_sms_consent_is_saved_with_the_number_in_international_form(
    customer: tuple[Client, Contact],
) -> None:
    client, contact = customer
    response = client.post(PAGE, {"emails": "on", "sms": "on", "phone": "06 12 34 56 78"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.sms_consent is True
    assert contact.sms_consent_at is not None
    assert contact.phone == "+33612345678"
    assert contact.unsubscribed_at is None
    with translation.override("en"):
        page = client.get(PAGE).content.decode()
    assert "We may text you at +33612345678." in page
    assert AuditEvent.objects.filter(contact=contact, action="contact.sms_consent").exists()


def test_an_invalid_number_is_refused_clearly_and_nothing_is_stored(
    customer: tuple[Client, Contact],
) -> None:
    client, contact = customer
    with translation.override("en"):
        response = client.post(PAGE, {"sms": "on", "phone": "12345"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This is not a valid mobile number." in page
    assert 'aria-invalid="true"' in page
    contact.refresh_from_db()
    assert (contact.sms_consent, contact.phone, contact.unsubscribed_at) == (None, "", None)


def test_sms_ticked_without_a_number_is_refused(customer: tuple[Client, Contact]) -> None:
    client, contact = customer
    with translation.override("en"):
        response = client.post(PAGE, {"emails": "on", "sms": "on", "phone": ""})
    assert response.status_code == 400
    assert "Give the mobile number" in response.content.decode()
    contact.refresh_from_db()
    assert contact.sms_consent is None


def test_a_customer_stops_emails_and_sms_from_their_account(
    customer: tuple[Client, Contact],
) -> None:
    client, contact = customer
    client.post(PAGE, {"emails": "on", "sms": "on", "phone": "+32 470 12 34 56"})
    response = client.post(PAGE, {})  # both boxes unticked
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None
    assert contact.sms_consent is False
    assert AuditEvent.objects.filter(contact=contact, action="contact.unsubscribed").exists()
    with translation.override("en"):
        page = client.get(PAGE).content.decode()
    assert "You stopped our emails on" in page
    # ... and starts emails again.
    assert client.post(PAGE, {"emails": "on"}).status_code == 302
    contact.refresh_from_db()
    assert contact.unsubscribed_at is None


def test_ticking_sms_again_lifts_an_earlier_stop_reply(customer: tuple[Client, Contact]) -> None:
    client, contact = customer
    Contact.objects.filter(pk=contact.pk).update(
        sms_consent=True,
        sms_consent_at=timezone.now(),
        phone="+33612345678",
        sms_unsubscribed_at=timezone.now(),
    )
    with translation.override("en"):
        page = client.get(PAGE).content.decode()
    assert "You stopped our text messages on" in page
    assert (
        client.post(PAGE, {"emails": "on", "sms": "on", "phone": "+33612345678"}).status_code == 302
    )
    contact.refresh_from_db()
    assert contact.sms_unsubscribed_at is None and contact.sms_consent is True


def test_a_customer_without_referral_account_cannot_post_preferences(
    program: Program, settings: Any
) -> None:
    client = Client()
    client.force_login(UserFactory(email="nobody@example.com"))
    response = client.post(PAGE, {"sms": "on", "phone": "0612345678"})
    assert response.status_code == 404
    assert not Contact.objects.filter(email="nobody@example.com").exists()
