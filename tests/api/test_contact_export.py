"""Right of access through the server API: ``GET …/contacts/{contact}/export`` hands out
everything the program holds about one person as a JSON file (audited), and
``GET …/contacts/{contact}/consents`` their consent history."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core.api.schemas import ContactExportOut
from parrain.core.factories import verified_referrer
from parrain.core.models import AuditEvent, Contact, Program
from parrain.core.models.choices import ConsentChannel, ConsentSource
from parrain.core.services import consents
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.loyalty import record_action
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(program: Program) -> tuple[Contact, Contact, Contact]:
    """Alice refers Bob by email (she typed his address) and Carol through her link."""
    alice = verified_referrer(program, "alice@example.com", first_name="Alice")
    invite_by_email(alice, ["bob@example.org"])
    register_referee(program, alice.referrer_code, "bob@example.org", consent=True, source="api")
    register_referee(program, alice.referrer_code, "carol@example.net", consent=False, source="api")
    bob = Contact.objects.get(email="bob@example.org")
    record_order(
        program,
        OrderData(
            external_id="A-1", email="bob@example.org", amount=Decimal("80.00"), currency="EUR"
        ),
    )
    record_action(program, alice, "review", 5, source="api", external_id="r1")
    return alice, bob, Contact.objects.get(email="carol@example.net")


def export_of(api: ApiClient, email: str) -> dict:
    response = api.call("get", f"/contacts/{email}/export")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return json.loads(response.content)


def test_the_referrers_export_holds_her_data_and_only_what_she_knows_of_friends(
    api: ApiClient, people: tuple[Contact, Contact, Contact]
) -> None:
    alice, _bob, _carol = people
    data = export_of(api, "alice@example.com")
    assert data["format"] == 1
    assert set(data) == set(ContactExportOut.model_fields)  # what the OpenAPI document says
    ContactExportOut.model_validate(data)
    assert data["contact"]["email"] == "alice@example.com"
    assert data["contact"]["first_name"] == "Alice"
    assert data["loyalty_ledger"][0]["points"] == 5
    sent = {row["channel"]: row for row in data["invitations_sent"]}
    # Bob's address: she typed it; Carol came through her link, so no address of hers.
    assert sent["email"]["friend_email"] == "bob@example.org"
    assert len(data["referrals_as_referrer"]) == 2
    body = json.dumps(data)
    assert "carol@example.net" not in body
    assert "Carol" not in body
    # Dates are ISO 8601.
    assert timezone.datetime.fromisoformat(data["contact"]["created_at"])


def test_the_referees_export_holds_consents_orders_rewards_and_the_referrer_as_seen(
    api: ApiClient, people: tuple[Contact, Contact, Contact]
) -> None:
    alice, bob, _carol = people
    data = export_of(api, "bob@example.org")
    assert [c["channel"] for c in data["consents"]] == ["email"]
    assert data["consents"][0]["given"] is True and data["consents"][0]["source"] == "api"
    assert data["orders"][0]["external_id"] == "A-1" and data["orders"][0]["amount"] == "80.00"
    assert data["rewards"] and data["rewards"][0]["side"] == "referee"
    received = data["invitations_received"][0]
    assert received["referrer_code"] == alice.referrer_code
    assert "alice@example.com" not in json.dumps(data)
    assert data["audit"] and all(e["actor"] != "" for e in data["audit"])
    for key in ("badges", "messages", "referrals_as_referee"):
        assert key in data


def test_each_export_is_audited_with_the_key(
    api: ApiClient, people: tuple[Contact, Contact, Contact]
) -> None:
    _alice, bob, _carol = people
    export_of(api, "bob@example.org")
    event = AuditEvent.objects.get(action="contact.exported", contact=bob)
    assert event.actor.startswith("api:")


def test_a_contact_is_found_by_external_id(api: ApiClient, program: Program) -> None:
    api.call("put", "/contacts", {"email": "dan@example.com", "external_id": "C-9"})
    response = api.call("get", "/contacts/C-9/export?by=external_id")
    assert response.status_code == 200
    assert json.loads(response.content)["contact"]["email"] == "dan@example.com"


def test_an_unknown_contact_is_a_404_and_audits_nothing(api: ApiClient) -> None:
    assert_problem(api.call("get", "/contacts/nobody@example.com/export"), 404, "contact")
    assert_problem(api.call("get", "/contacts/nobody@example.com/consents"), 404, "contact")
    assert not AuditEvent.objects.filter(action="contact.exported").exists()


def test_another_programs_key_or_no_key_gets_nothing(
    api: ApiClient, people: tuple[Contact, Contact, Contact]
) -> None:
    assert api.call("get", "/contacts/bob@example.org/export", key="").status_code == 401
    assert api.call("get", "/contacts/bob@example.org/export", key="pk_wrong").status_code == 401
    assert not AuditEvent.objects.filter(action="contact.exported").exists()


def test_the_consent_history_lists_every_record_latest_first(
    api: ApiClient, program: Program
) -> None:
    created = api.call(
        "put",
        "/contacts",
        {"email": "eve@example.com", "consent_recontact": True, "sms_consent": True},
    )
    assert created.status_code == 201
    assert set(created.json()["consents"]) == {"email", "sms"}
    eve = Contact.objects.get(email="eve@example.com")
    consents.record(
        eve, ConsentChannel.EMAIL, False, source=ConsentSource.ADMIN, text="Email me offers"
    )
    response = api.call("get", "/contacts/eve@example.com/consents")
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 3
    assert items[0]["channel"] == "email" and items[0]["given"] is False
    assert items[0]["source"] == "admin" and items[0]["text"] == "Email me offers"
    assert items[0]["text_version"] == consents.text_version("Email me offers")
    again = api.call("put", "/contacts", {"email": "eve@example.com"})
    assert again.json()["consents"]["email"]["given"] is False


def test_the_endpoints_are_in_the_openapi_schema() -> None:
    from parrain.core.api.export_openapi import render

    paths = json.loads(render())["paths"]
    assert "/api/v1/programs/{slug}/contacts/{contact}/export" in paths
    assert "/api/v1/programs/{slug}/contacts/{contact}/consents" in paths
