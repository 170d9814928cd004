"""Server API of the loyalty ledger: one action, a batch, a contact's balance and ledger."""

from __future__ import annotations

import pytest

from parrain.core.factories import ContactFactory
from parrain.core.models import LoyaltyEntry

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def eve(program):
    return ContactFactory(program=program, email="eve@example.com", external_id="cust-7")


def test_an_action_is_created_then_a_replay_answers_the_same_with_200(api, eve) -> None:
    body = {"email": "EVE@example.com", "kind": "review", "points": 20, "external_id": "rev-1"}

    first = api.call("post", "/loyalty/actions", body)
    again = api.call("post", "/loyalty/actions", {**body, "points": 999})

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["balance"] == 20 and first.json()["contact_id"] == eve.pk
    assert LoyaltyEntry.objects.count() == 1


def test_a_spend_past_the_balance_is_a_422_naming_points_and_stores_nothing(api, eve) -> None:
    api.call("post", "/loyalty/actions", {"email": eve.email, "kind": "review", "points": 5})
    body = {"contact_external_id": "cust-7", "kind": "adjustment", "points": -6, "reason": "gift"}

    assert_problem(api.call("post", "/loyalty/actions", body), 422, "points")
    assert LoyaltyEntry.objects.count() == 1


def test_an_unknown_contact_is_a_404_naming_the_field(api, eve) -> None:
    by_email = {"email": "nobody@example.com", "kind": "birthday", "points": 5}
    by_id = {"contact_external_id": "nope", "kind": "birthday", "points": 5}
    assert_problem(api.call("post", "/loyalty/actions", by_email), 404, "email")
    assert_problem(api.call("post", "/loyalty/actions", by_id), 404, "contact_external_id")
    assert_problem(api.call("get", "/contacts/nobody@example.com/loyalty"), 404, "contact")


def test_reversals_and_rewards_cannot_be_posted(api, eve) -> None:
    body = {"email": eve.email, "kind": "reversal", "points": -5}
    assert_problem(api.call("post", "/loyalty/actions", body), 422, "kind")
    assert not LoyaltyEntry.objects.exists()


@pytest.mark.parametrize("external_id", ["order:1001", "Reward:7", "refund:1001:50"])
def test_the_ids_of_parrain_s_own_lines_cannot_be_posted(api, eve, external_id) -> None:
    body = {"email": eve.email, "kind": "birthday", "points": 5, "external_id": external_id}
    assert_problem(api.call("post", "/loyalty/actions", body), 422, "external_id")
    assert not LoyaltyEntry.objects.exists()


def test_a_batch_with_bad_rows_keeps_the_good_ones(api, eve) -> None:
    rows = [
        {"email": eve.email, "kind": "newsletter_signup", "points": 10, "external_id": "n-1"},
        {"email": eve.email, "kind": "review", "points": "lots"},
        {"email": "ghost@example.com", "kind": "review", "points": 1},
        {"email": eve.email, "kind": "custom", "custom_kind": "quiz", "points": 4},
        {"email": eve.email, "kind": "adjustment", "points": -100, "reason": "spent"},
        {"email": eve.email, "kind": "newsletter_signup", "points": 10, "external_id": "n-1"},
    ]

    response = api.call("post", "/loyalty/actions/batch", {"rows": rows})

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["replayed"], body["failed"]) == (2, 1, 3)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "error", "error", "created", "error", "replayed"]
    fields = [r["errors"][0]["field"] for r in body["results"] if r["status"] == "error"]
    assert fields == ["points", "email", "points"]
    assert LoyaltyEntry.objects.count() == 2


def test_a_batch_of_more_than_1000_rows_is_refused_whole(api, eve) -> None:
    rows = [{"email": eve.email, "kind": "review", "points": 1}] * 1001
    assert_problem(api.call("post", "/loyalty/actions/batch", {"rows": rows}), 413, "rows")
    assert not LoyaltyEntry.objects.exists()


def test_the_ledger_pages_newest_first_with_the_balance(api: ApiClient, eve) -> None:
    for n in range(5):
        body = {"email": eve.email, "kind": "review", "points": n + 1, "external_id": f"r{n}"}
        api.call("post", "/loyalty/actions", body)

    first = api.call("get", "/contacts/cust-7/loyalty?by=external_id&limit=3").json()
    cursor = first["next_cursor"]
    rest = api.call("get", f"/contacts/eve@example.com/loyalty?limit=3&cursor={cursor}").json()

    assert first["balance"] == 15 and first["contact_id"] == eve.pk
    ids = [e["external_id"] for e in first["items"] + rest["items"]]
    assert ids == ["r4", "r3", "r2", "r1", "r0"]
    assert rest["next_cursor"] is None
