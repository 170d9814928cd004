"""STOP replies through the inbound SMS endpoint unsubscribe the number, and only that."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import AuditEvent, Contact

pytestmark = pytest.mark.django_db
TOKEN = "inbound-secret-0123456789"
URL = "/parrain/sms/inbound/"


@pytest.fixture(autouse=True)
def inbound_token(settings) -> None:
    settings.PARRAIN_SMS = {
        "BACKEND": "parrain.core.messaging.sms.LocmemBackend",
        "INBOUND_TOKEN": TOKEN,
    }
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)  # the provider has no CSRF cookie


def post_form(client: Client, data: dict, token: str | None = TOKEN, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.post(URL, data, **headers, **extra)


def test_the_url_is_named() -> None:
    assert reverse("parrain:sms_inbound") == URL


@pytest.mark.parametrize(
    "text", ["STOP", " stop ", "Stop SMS", "ARRET", "Arrêt", "arrêt.", "UNSUBSCRIBE"]
)
def test_a_stop_reply_unsubscribes_every_contact_with_the_number(client: Client, text: str) -> None:
    one = ContactFactory(phone="+33612345678", sms_consent=True)
    other_program = ContactFactory(program=ProgramFactory(), phone="+33612345678", sms_consent=True)
    someone_else = ContactFactory(program=one.program, phone="+33698765432", sms_consent=True)
    response = post_form(client, {"From": "+33612345678", "Body": text})
    assert response.status_code == 200, response.content
    assert response.json() == {"stop": True, "unsubscribed": 2}
    for contact in (one, other_program):
        contact.refresh_from_db()
        assert contact.sms_unsubscribed_at is not None
        assert contact.unsubscribed_at is None  # email is another matter
    someone_else.refresh_from_db()
    assert someone_else.sms_unsubscribed_at is None
    events = AuditEvent.objects.filter(action="contact.sms_unsubscribed")
    assert {e.contact_id for e in events} == {one.pk, other_program.pk}
    assert {e.actor for e in events} == {"contact"}


def test_json_body_with_from_and_text(client: Client) -> None:
    contact = ContactFactory(phone="+33612345678")
    response = client.post(
        URL + f"?token={TOKEN}",
        json.dumps({"from": "33612345678", "text": "STOP"}),
        content_type="application/json",
    )
    assert response.json() == {"stop": True, "unsubscribed": 1}
    contact.refresh_from_db()
    assert contact.sms_unsubscribed_at is not None


def test_a_second_stop_changes_nothing(client: Client) -> None:
    contact = ContactFactory(phone="+33612345678")
    post_form(client, {"From": "+33612345678", "Body": "STOP"})
    contact.refresh_from_db()
    first = contact.sms_unsubscribed_at
    response = post_form(client, {"From": "+33612345678", "Body": "STOP"})
    assert response.json() == {"stop": True, "unsubscribed": 0}
    contact.refresh_from_db()
    assert contact.sms_unsubscribed_at == first
    assert AuditEvent.objects.filter(action="contact.sms_unsubscribed").count() == 1


def test_a_national_form_of_the_number_finds_the_contact(client: Client) -> None:
    contact = ContactFactory(phone="+33612345678")
    post_form(client, {"From": "06 12 34 56 78", "Body": "stop"})
    contact.refresh_from_db()
    assert contact.sms_unsubscribed_at is not None


def test_a_stop_from_an_unknown_number_is_acknowledged(client: Client) -> None:
    ContactFactory(phone="+33612345678")
    response = post_form(client, {"From": "+33698765432", "Body": "STOP"})
    assert response.json() == {"stop": True, "unsubscribed": 0}
    assert not Contact.objects.filter(sms_unsubscribed_at__isnull=False).exists()


@pytest.mark.parametrize("text", ["Merci !", "stop please", "STOPPER", "", "OK pour demain"])
def test_other_replies_change_nothing(client: Client, text: str) -> None:
    contact = ContactFactory(phone="+33612345678")
    response = post_form(client, {"From": "+33612345678", "Body": text})
    assert response.status_code == 200
    assert response.json() == {"stop": False, "unsubscribed": 0}
    contact.refresh_from_db()
    assert contact.sms_unsubscribed_at is None
    assert not AuditEvent.objects.filter(action="contact.sms_unsubscribed").exists()


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x", TOKEN[:-1]])
def test_a_wrong_token_is_forbidden_and_changes_nothing(client: Client, token) -> None:
    contact = ContactFactory(phone="+33612345678")
    response = post_form(client, {"From": "+33612345678", "Body": "STOP"}, token=token)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    contact.refresh_from_db()
    assert contact.sms_unsubscribed_at is None


def test_token_in_the_query_string(client: Client) -> None:
    ContactFactory(phone="+33612345678")
    assert (
        client.post(URL + "?token=wrong", {"From": "+33612345678", "Body": "STOP"}).status_code
        == 403
    )
    response = client.post(URL + f"?token={TOKEN}", {"From": "+33612345678", "Body": "STOP"})
    assert response.json()["unsubscribed"] == 1


def test_the_endpoint_is_off_without_a_token(settings, client: Client) -> None:
    settings.PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.LocmemBackend"}
    ContactFactory(phone="+33612345678")
    response = post_form(client, {"From": "+33612345678", "Body": "STOP"}, token="")
    assert response.status_code == 404
    assert not Contact.objects.filter(sms_unsubscribed_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"Body": "STOP"}, "From"),
        ({"From": "+33612345678"}, "Body"),
        ({"From": "", "Body": "STOP"}, "From"),
        ({"From": "12", "Body": "STOP"}, "From"),
        ({"From": "not a number", "Body": "STOP"}, "From"),
    ],
)
def test_bad_input_is_refused_with_the_problem(client: Client, data: dict, field: str) -> None:
    ContactFactory(phone="+33612345678")
    with translation.override("en"):
        response = post_form(client, data)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and field in [e["field"] for e in body["errors"]]
    assert not Contact.objects.filter(sms_unsubscribed_at__isnull=False).exists()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"STOP"', ""])
def test_a_json_body_that_is_not_an_object_is_refused(client: Client, raw: str) -> None:
    response = client.post(
        URL, raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_only_post_is_accepted(client: Client) -> None:
    assert client.get(URL + f"?token={TOKEN}&From=%2B33612345678&Body=STOP").status_code == 405


def test_the_endpoint_is_rate_limited_per_address(settings, client: Client) -> None:
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"sms_inbound": (3, 60)}
    statuses = [
        post_form(client, {"From": "+33612345678", "Body": "hi"}).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
