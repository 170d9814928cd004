"""The Django admin's contact page: the consent history (program time zone, source, text
version with the text), the JSON export download (audited) for staff who may view
contacts, and SMS consent edits kept as consent records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import AuditEvent, Contact
from parrain.core.models.choices import ConsentChannel, ConsentSource
from parrain.core.services import consents

pytestmark = pytest.mark.django_db
TEXT = "I agree that Maison may send me offers by email."


@pytest.fixture
def contact() -> Contact:
    program = ProgramFactory(time_zone="Europe/Paris")
    zoe = ContactFactory(program=program, email="zoe@example.com", first_name="Zoé")
    consents.record(
        zoe,
        ConsentChannel.EMAIL,
        True,
        source=ConsentSource.WIDGET,
        at=datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
        text=TEXT,
    )
    return zoe


def change_url(contact: Contact) -> str:
    return reverse("admin:parrain_contact_change", args=[contact.pk])


def export_url(contact: Contact) -> str:
    return reverse("admin:parrain_contact_export", args=[contact.pk])


def staff(*codenames: str) -> Client:
    user = User.objects.create_user("marie", password="x", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(codename=codename, content_type__app_label="parrain")
        )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_contact_page_shows_the_consent_history_in_the_programs_time_zone(
    contact: Contact,
) -> None:
    page = staff("view_contact").get(change_url(contact)).content.decode()
    assert "Consent history" in page or "consent history" in page
    assert "2026-06-01 12:00" in page  # 10:00 UTC is noon in Paris in June
    assert "Europe/Paris" in page
    assert "Referral widget" in page and "Given" in page
    assert consents.text_version(TEXT) in page and TEXT in page
    assert export_url(contact) in page


def test_the_export_downloads_json_and_is_audited_with_the_staff_user(contact: Contact) -> None:
    response = staff("view_contact").get(export_url(contact))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="contact-{contact.pk}-export.json"'
    )
    data = json.loads(response.content)
    assert data["contact"]["email"] == "zoe@example.com"
    assert data["consents"][0]["text"] == TEXT
    event = AuditEvent.objects.get(action="contact.exported", contact=contact)
    assert event.actor == "marie"


def test_staff_without_view_permission_gets_403_and_nothing_is_exported(
    contact: Contact,
) -> None:
    client = staff("view_order")
    assert client.get(export_url(contact)).status_code == 403
    assert not AuditEvent.objects.filter(action="contact.exported").exists()


def test_an_anonymous_visitor_is_sent_to_the_login(contact: Contact) -> None:
    response = Client().get(export_url(contact))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_sms_consent_changed_in_the_admin_is_a_record(admin_client: Client) -> None:
    contact = ContactFactory(email="yann@example.com", phone="+33612345678")
    page = admin_client.get(change_url(contact))
    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    assert {"email", "first_name", "phone", "sms_consent"} <= set(form.fields)
    data.update(sms_consent="true", last_name="Le Goff")
    response = admin_client.post(change_url(contact), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact.refresh_from_db()
    assert contact.last_name == "Le Goff"  # the other fields are still edited
    assert contact.sms_consent is True and contact.sms_consent_at is not None
    entry = consents.history(contact)[0]
    assert (entry.channel, entry.given, entry.source, entry.actor) == (
        "sms",
        True,
        "admin",
        "admin",
    )
    # Unsetting it again is refused: a consent is withdrawn, not forgotten.
    data.update(sms_consent="unknown")
    refused = admin_client.post(change_url(contact), data, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200
    assert "cannot be unset" in refused.content.decode()


def test_tags_are_edited_as_one_line_separated_by_commas(admin_client: Client) -> None:
    contact = ContactFactory(email="tags@example.com", tags=["vip"])
    page = admin_client.get(change_url(contact), HTTP_ACCEPT_LANGUAGE="en")
    form = page.context["adminform"].form
    assert 'value="vip"' in page.content.decode()  # not the JSON list ["vip"]
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update(tags="vip, newsletter ; vip,, salon 2026")
    response = admin_client.post(change_url(contact), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    contact.refresh_from_db()
    assert contact.tags == ["vip", "newsletter", "salon 2026"]
