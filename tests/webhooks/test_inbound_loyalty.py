"""Generic endpoint: ``loyalty_action.recorded`` puts a line on a contact's points ledger."""

from __future__ import annotations

from typing import Any

import pytest

from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, LoyaltyEntry
from parrain.core.services.contacts import get_or_create_contact
from parrain.core.services.erasure import erase_contact
from parrain.core.services.loyalty import balance, record_action
from parrain.plugins.generic_webhook.models import Result

from .conftest import endpoint, last_delivery
from .test_inbound_generic import event, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def generic(program):
    return endpoint(program, "generic")


@pytest.fixture
def carla(program) -> Contact:
    contact, _created = get_or_create_contact(program, "carla@example.net", external_id="c-9")
    return contact


def action(**fields: Any) -> bytes:
    data = {"email": "carla@example.net", "kind": "review", "points": 50, "external_id": "rv-1"}
    data.update(fields)
    return event("loyalty_action.recorded", {k: v for k, v in data.items() if v is not None})


def test_an_action_by_email_lands_on_the_ledger(client, program, generic, carla):
    body = action(occurred_at="2026-11-20T09:30:00Z", reason="5-star review of the kettle")
    response = send(client, program, generic, body)
    assert response.status_code == 200, response.content
    assert response.json()["reason"] == "action_recorded"
    entry = LoyaltyEntry.objects.get(contact=carla)
    assert (entry.kind, entry.points, entry.source, entry.external_id) == (
        "review",
        50,
        "webhook",
        "rv-1",
    )
    assert entry.occurred_at.isoformat() == "2026-11-20T09:30:00+00:00"
    assert entry.reason == "5-star review of the kettle"
    assert balance(carla) == 50
    # No Accept-Language: the site's language (French) words the delivery log.
    assert last_delivery().message == f"Ligne {entry.pk} de l'historique des points."


def test_an_action_by_the_shops_customer_id(client, program, generic, carla):
    body = action(email=None, customer_external_id="c-9", kind="custom", custom_kind="quiz")
    assert send(client, program, generic, body).status_code == 200
    entry = LoyaltyEntry.objects.get(contact=carla)
    assert (entry.kind, entry.custom_kind) == ("custom", "quiz")


def test_a_replayed_external_id_is_ignored_and_names_the_same_line(client, program, generic, carla):
    first = send(client, program, generic, action(), msg_id="msg_a")
    # The shop sends the same action again under a new delivery id (e.g. a re-export)
    again = send(client, program, generic, action(points=999), msg_id="msg_b")
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["result"], again.json()["result"]) == ("accepted", "ignored")
    assert again.json()["reason"] == "action_already_recorded"
    entry = LoyaltyEntry.objects.get(contact=carla)
    # No Accept-Language: the site's language (French) words the delivery log.
    assert last_delivery().message == f"Ligne {entry.pk} de l'historique des points."
    assert balance(carla) == 50


def test_an_unknown_contact_is_refused_until_the_customer_exists(client, program, generic):
    # The action arrives before the shop's customer.created: nothing is stored, a 4xx
    body = action(email="nobody@example.net")
    response = send(client, program, generic, body, msg_id="msg_early")
    assert response.status_code == 422
    assert response["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["reason"] == "unknown_contact"
    assert problem["detail"].startswith("email: ")
    assert not LoyaltyEntry.objects.exists()
    assert not Contact.objects.filter(email="nobody@example.net").exists()
    assert last_delivery().result == Result.REFUSED
    # Once the customer exists, the shop's retry of the same delivery goes through
    customer = event("customer.created", {"email": "nobody@example.net"})
    send(client, program, generic, customer, msg_id="msg_customer")
    assert send(client, program, generic, body, msg_id="msg_early").status_code == 200
    assert LoyaltyEntry.objects.get().contact.email == "nobody@example.net"


def test_a_contact_of_another_program_is_unknown_here(client, program, generic):
    other = ProgramFactory(currency="USD", slug="autre")
    get_or_create_contact(other, "carla@example.net")
    response = send(client, program, generic, action())
    assert (response.status_code, response.json()["reason"]) == (422, "unknown_contact")
    assert not LoyaltyEntry.objects.exists()


def test_an_erased_contact_is_unknown(client, program, generic, carla):
    erase_contact(carla, actor="test")
    response = send(client, program, generic, action(email=None, customer_external_id="c-9"))
    assert response.status_code == 422
    assert not LoyaltyEntry.objects.exists()


def test_points_that_would_overdraw_are_a_422_naming_points(client, program, generic, carla):
    record_action(program, carla, "purchase", 30, source="test", external_id="p-1")
    response = send(client, program, generic, action(kind="custom", custom_kind="gift", points=-40))
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"].startswith("points: ")
    assert "30" in problem["detail"]
    assert balance(carla) == 30
    # Spending what is there is fine
    spend = action(kind="custom", custom_kind="gift", points=-30, external_id="rv-2")
    assert send(client, program, generic, spend, msg_id="msg_2").status_code == 200
    assert balance(carla) == 0


@pytest.mark.parametrize("external_id", ["order:1001", "refund:1001:5", "reward:7", "ORDER:1001"])
def test_parrains_own_external_ids_are_refused(client, program, generic, carla, external_id):
    response = send(client, program, generic, action(external_id=external_id))
    assert response.status_code == 422
    assert response.json()["reason"] == "invalid_payload"
    assert response.json()["detail"].startswith("external_id: ")
    assert not LoyaltyEntry.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"external_id": None}, "external_id"),
        ({"kind": "reversal"}, "kind"),
        ({"kind": "reward"}, "kind"),
        ({"points": 10**9}, "points"),
        ({"points": 2.5}, "points"),
        ({"kind": "custom"}, "custom_kind"),
        ({"kind": "adjustment"}, "reason"),
    ],
)
def test_bad_actions_are_a_422_naming_the_field(client, program, generic, carla, fields, field):
    response = send(client, program, generic, action(**fields))
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"]
    assert not LoyaltyEntry.objects.exists()


def test_an_action_without_a_contact_is_a_422(client, program, generic, carla):
    response = send(client, program, generic, action(email=None))
    assert response.status_code == 422
    assert "customer_external_id" in response.json()["detail"]
    assert not LoyaltyEntry.objects.exists()
