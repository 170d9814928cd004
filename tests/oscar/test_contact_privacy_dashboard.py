"""Oscar's dashboard contact page: the consent history, the JSON export (audited) and the
erasure, for staff allowed to view (and, to erase, delete) contacts only; and the Oscar
consent writers leave records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from oscar.test.factories import UserFactory

from parrain.core.factories import ContactFactory
from parrain.core.models import AuditEvent, Contact, Program
from parrain.core.models.choices import ConsentChannel, ConsentSource
from parrain.core.services import consents
from parrain.core.services.enrolment import enrol_referrer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
BASE = "/shop/dashboard/referral/"
TEXT = "Yes, email me your offers."


def signed_in(*codenames: str, **user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    person = UserFactory(**user)
    for codename in codenames:
        person.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="parrain")
        )
    client.force_login(person)
    return client


@pytest.fixture
def contact(program: Program) -> Contact:
    program.time_zone = "Europe/Paris"
    program.save(update_fields=["time_zone"])
    camille = ContactFactory(program=program, email="camille@example.org", first_name="Camille")
    consents.record(
        camille,
        ConsentChannel.EMAIL,
        True,
        source=ConsentSource.WIDGET,
        at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        text=TEXT,
    )
    consents.record(camille, ConsentChannel.SMS, False, source=ConsentSource.SMS_STOP)
    return camille


def test_the_contact_page_shows_the_history_and_the_export_button(contact: Contact) -> None:
    staff = signed_in(is_staff=True, is_superuser=True)
    page = staff.get(f"{BASE}contacts/{contact.pk}/").content.decode()
    assert 'id="parrain-consent-history"' in page
    assert "2026-01-15 10:30" in page  # Paris time in winter
    assert "Referral widget" in page and "SMS STOP reply" in page
    assert consents.text_version(TEXT) in page and TEXT in page
    assert f"{BASE}contacts/{contact.pk}/export/" in page


def test_the_history_names_who_recorded_a_consent_not_their_code(contact: Contact) -> None:
    marie = UserFactory(first_name="Marie", last_name="Curie")
    consents.record(
        contact,
        ConsentChannel.EMAIL,
        False,
        source=ConsentSource.IMPORT,
        actor=f"wagtail:{marie.pk}",
    )
    staff = signed_in(is_staff=True, is_superuser=True)
    page = staff.get(f"{BASE}contacts/{contact.pk}/").content.decode()
    assert "Contact import (Marie Curie)" in page
    assert f"wagtail:{marie.pk}" not in page


def test_the_export_is_a_json_download_audited_with_the_dashboard_user(
    contact: Contact,
) -> None:
    staff = signed_in("view_contact", is_staff=True)
    response = staff.get(f"{BASE}contacts/{contact.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(response.content)
    assert data["contact"]["email"] == "camille@example.org"
    assert {c["channel"] for c in data["consents"]} == {"email", "sms"}
    event = AuditEvent.objects.get(action="contact.exported", contact=contact)
    assert event.actor.startswith("oscar-dashboard:")


def test_the_export_is_refused_without_the_view_permission(contact: Contact) -> None:
    url = f"{BASE}contacts/{contact.pk}/export/"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/shop/dashboard/login/")
    for client in (signed_in(), signed_in(is_staff=True)):
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="contact.exported").exists()


def test_the_erasure_asks_first_then_erases_through_the_core(contact: Contact) -> None:
    staff = signed_in("view_contact", "view_scheduledmessage", "delete_contact", is_staff=True)
    url = f"{BASE}contacts/{contact.pk}/erase/"
    assert url in staff.get(f"{BASE}contacts/{contact.pk}/").content.decode()

    confirm = staff.get(url).content.decode()
    assert "What will be kept, anonymised" in confirm and 'id="parrain-erase-kept"' in confirm
    assert not Contact.objects.get(pk=contact.pk).is_erased  # asking erases nothing

    response = staff.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}contacts/?program={contact.program.slug}"
    erased = Contact.objects.get(pk=contact.pk)
    assert erased.is_erased and erased.email == f"erased-{erased.pk}@invalid"
    assert erased.first_name == ""
    event = AuditEvent.objects.get(action="contact.erased", contact=contact)
    assert event.actor.startswith("oscar-dashboard:")
    assert not AuditEvent.objects.filter(data__icontains="camille").exists()

    page = staff.get(f"{BASE}contacts/{contact.pk}/").content.decode()
    assert url not in page  # nothing left to erase
    again = staff.post(url, follow=True).content.decode()
    assert "The contact was already erased." in again
    assert AuditEvent.objects.filter(action="contact.erased").count() == 1


def test_french_staff_read_the_erasure_page_in_french(contact: Contact) -> None:
    staff = signed_in("view_contact", "delete_contact", is_staff=True)
    staff.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    page = staff.get(f"{BASE}contacts/{contact.pk}/erase/").content.decode()
    assert "Ce qui sera conservé, anonymisé" in page
    assert "Oui, effacer" in page


def test_the_erasure_needs_the_delete_permission(contact: Contact) -> None:
    url = f"{BASE}contacts/{contact.pk}/erase/"
    viewer = signed_in("view_contact", "view_scheduledmessage", is_staff=True)
    assert url not in viewer.get(f"{BASE}contacts/{contact.pk}/").content.decode()
    assert viewer.get(url).status_code == 403
    assert viewer.post(url).status_code == 403
    assert Client().post(url).status_code == 302  # to the dashboard's login
    camille = Contact.objects.get(pk=contact.pk)
    assert not camille.is_erased and camille.email == "camille@example.org"


def test_the_account_page_records_what_the_customer_ticked(program: Program) -> None:
    user = UserFactory(email="alice@example.com", first_name="Alice")
    enrol_referrer(program, user.email)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    page = "/shop/accounts/referrals/"
    assert client.post(page, {"sms": "on", "phone": "+33612345678"}).status_code == 302
    alice = Contact.objects.get(program=program, email="alice@example.com")
    records = {(r.channel, r.given, r.source) for r in consents.history(alice)}
    assert records == {("email", False, "account"), ("sms", True, "account")}
    sms = next(r for r in consents.history(alice) if r.channel == "sms")
    assert sms.text == "Text me (SMS) about the referral program"


def test_an_oscar_registration_with_consent_goes_through_the_records(program: Program) -> None:
    from parrain.plugins.oscar.sync import sync_customer

    user = UserFactory(email="dora@example.com")
    contact = sync_customer(user.pk)
    assert contact is not None
    assert consents.history(contact) == []  # Oscar's sign-up asks no consent question
