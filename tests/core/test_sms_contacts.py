"""Phone numbers (E.164, refused with a clear 4xx) and SMS consent through the server API."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone, translation

from parrain.core.factories import ContactFactory
from parrain.core.models import AuditEvent, Contact
from parrain.core.services.contacts import record_sms_consent
from tests.api.conftest import ApiClient, api, assert_problem, program  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+1 (415) 555-2671", "+14155552671"),
    ],
)
def test_phone_is_stored_in_e164(api: ApiClient, typed: str, stored: str) -> None:  # noqa: F811
    response = api.call("put", "/contacts", {"email": "zoe@example.com", "phone": typed})
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == stored
    assert Contact.objects.get(email="zoe@example.com").phone == stored


def test_national_numbers_are_read_in_the_configured_region(settings, api: ApiClient) -> None:  # noqa: F811
    settings.PARRAIN_PHONE_REGION = "BE"
    response = api.call("put", "/contacts", {"email": "zoe@example.com", "phone": "0470 12 34 56"})
    assert response.json()["phone"] == "+32470123456"


@pytest.mark.parametrize("phone", ["12", "06 12", "+33 1", "not a number", "+999 123 456 789"])
def test_an_invalid_phone_is_refused_and_nothing_stored(api: ApiClient, phone: str) -> None:  # noqa: F811
    with translation.override("en"):
        response = api.call("put", "/contacts", {"email": "zoe@example.com", "phone": phone})
    body = assert_problem(response, 422, "phone")
    [error] = [e for e in body["errors"] if e["field"] == "phone"]
    assert "country code" in error["message"]
    assert not Contact.objects.exists()


def test_an_invalid_phone_does_not_change_a_stored_contact(api: ApiClient, program) -> None:  # noqa: F811
    ContactFactory(program=program, email="zoe@example.com", phone="+33612345678")
    response = api.call("put", "/contacts", {"email": "zoe@example.com", "phone": "0000"})
    assert_problem(response, 422, "phone")
    assert Contact.objects.get().phone == "+33612345678"


def test_bulk_sync_refuses_the_row_with_a_bad_phone_only(api: ApiClient) -> None:  # noqa: F811
    rows = [
        {"email": "a@example.com", "phone": "0612345678"},
        {"email": "b@example.com", "phone": "12345"},
    ]
    body = api.call("post", "/contacts/bulk", {"rows": rows}).json()
    assert [r["status"] for r in body["results"]] == ["created", "error"]
    assert body["results"][1]["errors"][0]["field"] == "phone"
    assert list(Contact.objects.values_list("email", "phone")) == [
        ("a@example.com", "+33612345678")
    ]


# SMS consent


def test_sms_consent_is_recorded_through_the_contact_sync(api: ApiClient) -> None:  # noqa: F811
    body = {"email": "zoe@example.com", "phone": "0612345678", "sms_consent": True}
    response = api.call("put", "/contacts", body)
    assert response.status_code == 201
    assert response.json()["sms_consent"] is True
    assert response.json()["sms_unsubscribed_at"] is None
    contact = Contact.objects.get()
    assert contact.sms_consent is True and contact.sms_consent_at is not None
    event = AuditEvent.objects.get(action="contact.sms_consent")
    assert event.contact == contact
    assert event.data["consent"] is True and event.data["source"] == "api"


def test_the_same_consent_again_changes_nothing(api: ApiClient) -> None:  # noqa: F811
    body = {"email": "zoe@example.com", "sms_consent": True, "consent_source": "nightly"}
    api.call("put", "/contacts", body)
    given_at = Contact.objects.get().sms_consent_at
    api.call("put", "/contacts", body)
    assert Contact.objects.get().sms_consent_at == given_at
    assert AuditEvent.objects.filter(action="contact.sms_consent").count() == 1


def test_a_withdrawn_consent_is_recorded(api: ApiClient) -> None:  # noqa: F811
    api.call("put", "/contacts", {"email": "zoe@example.com", "sms_consent": True})
    api.call("put", "/contacts", {"email": "zoe@example.com", "sms_consent": False})
    assert Contact.objects.get().sms_consent is False
    consents = AuditEvent.objects.filter(action="contact.sms_consent").order_by("pk")
    assert [e.data["consent"] for e in consents] == [True, False]


def test_leaving_sms_consent_out_keeps_the_answer(api: ApiClient) -> None:  # noqa: F811
    api.call("put", "/contacts", {"email": "zoe@example.com", "sms_consent": False})
    api.call("put", "/contacts", {"email": "zoe@example.com", "first_name": "Zoé"})
    assert Contact.objects.get().sms_consent is False


def test_sms_consent_must_be_a_boolean(api: ApiClient) -> None:  # noqa: F811
    response = api.call("put", "/contacts", {"email": "zoe@example.com", "sms_consent": "yes"})
    assert_problem(response, 422, "sms_consent")
    assert not Contact.objects.exists()


def test_a_stop_outlasts_the_shops_consent_but_not_the_persons_own() -> None:
    contact = ContactFactory(phone="+33612345678", sms_consent=True, sms_consent_at=timezone.now())
    contact.sms_unsubscribed_at = timezone.now()
    contact.save()
    # The shop's sync says "consents" again: the STOP holds.
    assert record_sms_consent(contact, True, "api") is False
    contact.refresh_from_db()
    assert contact.sms_unsubscribed_at is not None
    # The person ticks the box on their account page: SMS may start again.
    assert record_sms_consent(contact, True, "account", resubscribe=True) is True
    contact.refresh_from_db()
    assert contact.sms_unsubscribed_at is None and contact.sms_consent is True
    event = AuditEvent.objects.get(action="contact.sms_consent")
    assert event.actor == "contact" and event.data["resubscribed"] is True


def test_contact_out_schema_documents_the_sms_fields() -> None:
    from parrain.core.api.main import api as ninja_api

    schema = ninja_api.get_openapi_schema()
    contact_in = schema["components"]["schemas"]["ContactData"]["properties"]
    assert "sms_consent" in contact_in and "phone" in contact_in
    contact_out = schema["components"]["schemas"]["ContactOut"]["properties"]
    assert {"sms_consent", "sms_unsubscribed_at"} <= set(contact_out)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """These tests read the English wording (a request without Accept-Language gets it too);
    the French catalogue is checked by the tests that ask for French."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
