"""``POST …/orders`` with ``Prefer: respond-async`` (RFC 7240): stored at once, answered
202, attributed by a worker; ``GET …/orders/{external_id}`` to poll it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from parrain.core.models import Order, Program, Referral
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import drain_accepted

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db

ASYNC = {"HTTP_PREFER": "respond-async"}


def _order(n: int, code: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "external_id": f"T-{n}",
        "email": f"friend{n}@example.org",
        "amount": "80.00",
        "currency": "EUR",
        "referral_code": code,
        **extra,
    }


@pytest.fixture(autouse=True)
def _no_drain_queued() -> None:
    """A drain flag left by another test for the same program id (SQLite reuses ids)
    would keep this test's order from publishing its drain."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def code(program: Program) -> str:
    program.currency = "EUR"
    program.save()
    return enrol_referrer(program, "alice@example.com").code


def test_an_order_with_prefer_respond_async_is_accepted_then_attributed(
    api: ApiClient, program: Program, code: str, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.call("post", "/orders", _order(1, code), **ASYNC)
    assert response.status_code == 202, response.content
    assert response["Preference-Applied"] == "respond-async"
    location = response["Location"]
    assert location == f"/api/v1/programs/{program.slug}/orders/T-1"
    body = response.json()
    assert body["pending"] is True and body["attribution"] is None
    assert body["external_id"] == "T-1" and body["amount"] == "80.00"
    assert not Referral.objects.filter(program=program).exists()  # not attributed yet
    polled = api.client.get(location, HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert polled.status_code == 200 and polled.json()["pending"] is True
    # After the commit: the drain (eager Celery here) attributes it.
    assert len(callbacks) == 1
    callbacks[0]()
    polled = api.client.get(location, HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert polled.json()["pending"] is False
    assert polled.json()["attribution"]["status"] == "converted"
    # A replay answers 200 with the stored order as it is now.
    again = api.call("post", "/orders", _order(1, code), **ASYNC)
    assert again.status_code == 200
    assert again.json() == polled.json()
    assert "Preference-Applied" not in again


def test_without_the_header_nothing_changes(api: ApiClient, code: str) -> None:
    response = api.call("post", "/orders", _order(1, code))
    assert response.status_code == 201
    assert response.json()["pending"] is False
    assert response.json()["attribution"]["status"] == "converted"
    assert "Preference-Applied" not in response and "Location" not in response


@pytest.mark.parametrize(
    "prefer", ["respond-async, wait=10", "wait=5;x=1, Respond-Async", "respond-async;foo"]
)
def test_the_preference_is_read_as_rfc_7240_writes_it(
    api: ApiClient, code: str, prefer: str
) -> None:
    response = api.call("post", "/orders", _order(1, code), HTTP_PREFER=prefer)
    assert response.status_code == 202, response.content


def test_other_preferences_are_ignored(api: ApiClient, code: str) -> None:
    response = api.call("post", "/orders", _order(1, code), HTTP_PREFER="return=minimal")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "USD"}, "currency"),
        ({"amount": "-1"}, "amount"),
        ({"email": "not an address"}, "email"),
        ({"external_id": ""}, "external_id"),
    ],
)
def test_bad_input_with_the_header_is_refused_and_nothing_stored(
    api: ApiClient, program: Program, code: str, change: dict[str, Any], field: str
) -> None:
    response = api.call("post", "/orders", {**_order(1, code), **change}, **ASYNC)
    assert_problem(response, 422, field)
    assert not Order.objects.filter(program=program).exists()


def test_an_unknown_order_is_a_404_problem(api: ApiClient) -> None:
    response = api.call("get", "/orders/NOPE")
    assert_problem(response, 404, "external_id")


def test_another_programs_key_cannot_read_the_order(
    api: ApiClient, program: Program, code: str
) -> None:
    from parrain.core.factories import ProgramFactory

    api.call("post", "/orders", _order(1, code), **ASYNC)
    other = ProgramFactory()
    _, key = other.create_api_key("other")
    response = api.call("get", "/orders/T-1", key=key)
    assert response.status_code in (401, 403, 404)


def test_idempotency_key_replays_the_first_202(api: ApiClient, program: Program, code: str) -> None:
    key = str(uuid.uuid4())
    first = api.call("post", "/orders", _order(1, code), HTTP_IDEMPOTENCY_KEY=key, **ASYNC)
    assert first.status_code == 202
    drain_accepted(program.pk)
    again = api.call("post", "/orders", _order(1, code), HTTP_IDEMPOTENCY_KEY=key, **ASYNC)
    assert again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert again["Preference-Applied"] == "respond-async"
    other = api.call(
        "post", "/orders", _order(1, code, amount="81.00"), HTTP_IDEMPOTENCY_KEY=key, **ASYNC
    )
    assert_problem(other, 422)
    assert Order.objects.filter(program=program).count() == 1


def test_a_refund_of_a_pending_order_through_the_api(
    api: ApiClient, program: Program, code: str
) -> None:
    assert api.call("post", "/orders", _order(1, code), **ASYNC).status_code == 202
    refund = api.call("post", "/orders/T-1/refunds", {"external_id": "R-1", "amount": "80.00"})
    assert refund.status_code == 201, refund.content
    assert refund.json()["attribution"]["status"] == "cancelled"
    order = api.call("get", "/orders/T-1").json()
    assert order["pending"] is False and order["refunded_amount"] == "80.00"


def test_the_schema_documents_the_header_the_202_and_the_get(api: ApiClient) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()
    post = schema["paths"]["/api/v1/programs/{slug}/orders"]["post"]
    assert "202" in post["responses"]
    assert any(p["in"] == "header" and p["name"] == "Prefer" for p in post["parameters"])
    get = schema["paths"]["/api/v1/programs/{slug}/orders/{external_id}"]["get"]
    assert {"200", "404"} <= set(get["responses"])
    out = schema["components"]["schemas"]["OrderOut"]
    assert out["properties"]["pending"]["type"] == "boolean"


#: The statements of an order accepted in the background through the API: the key's
#: lookup and the order's one INSERT (the attribution's twenty are the worker's).
ACCEPTED_ORDER_QUERIES = 2


def test_an_accepted_order_costs_its_key_lookup_and_one_insert(
    api: ApiClient, program: Program, code: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.call("post", "/orders", _order(1, code), **ASYNC)  # the per-process memos fill
    with CaptureQueriesContext(connection) as queries:
        response = api.call("post", "/orders", _order(2, code), **ASYNC)
    assert response.status_code == 202
    sql = [str(q["sql"]) for q in queries.captured_queries]
    assert len(sql) <= ACCEPTED_ORDER_QUERIES, "\n".join(s[:150] for s in sql)
    assert [s for s in sql if "INSERT" in s and "parrain_order" in s and "ON CONFLICT" in s]
