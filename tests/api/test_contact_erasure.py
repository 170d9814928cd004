"""Right to erasure through the server API: ``POST …/contacts/{contact}/erase`` erases the
person everywhere the program stored them, keeps their referrals and orders on an
anonymous record (counted in the answer), audits it with the key, and leaves nothing that
answers to their address; refusals erase nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection

from parrain.core.factories import ProgramFactory, verified_referrer
from parrain.core.models import AuditEvent, Contact, Order, Program, Referral
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(program: Program) -> Contact:
    """Alice invited Bob by email; he registered and ordered."""
    alice = verified_referrer(program, "alice@example.com", first_name="Alice")
    invite_by_email(alice, ["bob@example.org"])
    register_referee(program, alice.referrer_code, "bob@example.org", consent=True, source="api")
    record_order(
        program,
        OrderData(
            external_id="A-1",
            email="bob@example.org",
            first_name="Bob",
            amount=Decimal("80.00"),
            currency="EUR",
        ),
    )
    return Contact.objects.get(email="bob@example.org")


def test_the_erasure_answers_what_stays_and_leaves_nothing_naming_the_person(
    api: ApiClient, program: Program, bob: Contact
) -> None:
    referrals_before = Referral.objects.filter(program=program).count()

    response = api.call("post", "/contacts/bob@example.org/erase")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["contact_id"] == bob.pk and body["erased_at"]
    # his welcome offer is the reward kept
    assert body["kept"] == {"invitations": 1, "referrals": 1, "orders": 1, "rewards": 1}
    erased = Contact.objects.get(pk=bob.pk)
    assert erased.is_erased and erased.email == f"erased-{bob.pk}@invalid"
    # the figures keep the referral and the order, on the anonymous record
    assert Referral.objects.filter(program=program).count() == referrals_before
    assert Order.objects.get(external_id="A-1").contact_id == bob.pk
    event = AuditEvent.objects.get(action="contact.erased", contact=bob)
    assert event.actor.startswith("api:")
    # no stored text names him any more
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM parrain_auditevent WHERE data::text ILIKE %s",
            ["%bob@example.org%"],
        )
        assert cursor.fetchone()[0] == 0
    # nothing answers to his address: a second call is a 404, like a stranger's
    assert_problem(api.call("post", "/contacts/bob@example.org/erase"), 404, "contact")
    assert_problem(api.call("get", "/contacts/bob@example.org/export"), 404, "contact")
    assert AuditEvent.objects.filter(action="contact.erased").count() == 1


def test_a_contact_is_erased_by_its_external_id(api: ApiClient) -> None:
    api.call("put", "/contacts", {"email": "dan@example.com", "external_id": "C-9"})

    response = api.call("post", "/contacts/C-9/erase?by=external_id")

    assert response.status_code == 200
    dan = Contact.objects.get(pk=response.json()["contact_id"])
    assert dan.is_erased and dan.external_id is None


def test_refusals_erase_nothing(api: ApiClient, bob: Contact) -> None:
    other_program = ProgramFactory()
    _, other_key = other_program.create_api_key("other")

    assert_problem(api.call("post", "/contacts/nobody@example.com/erase"), 404, "contact")
    assert api.call("post", "/contacts/bob@example.org/erase", key="").status_code == 401
    assert api.call("post", "/contacts/bob@example.org/erase", key="sk_wrong").status_code == 401
    assert api.call("post", "/contacts/bob@example.org/erase", key=other_key).status_code == 401
    assert api.call("get", "/contacts/bob@example.org/erase").status_code == 405

    assert not Contact.objects.get(pk=bob.pk).is_erased
    assert not AuditEvent.objects.filter(action="contact.erased").exists()


def test_the_endpoint_is_in_the_openapi_schema() -> None:
    from parrain.core.api.export_openapi import render

    paths = json.loads(render())["paths"]
    erase = paths["/api/v1/programs/{slug}/contacts/{contact}/erase"]["post"]
    assert set(erase["responses"]) >= {"200", "401", "404"}
