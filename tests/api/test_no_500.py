"""Input PostgreSQL cannot store is a 422 naming the field, never a 500 (issue 16)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import Order, Refund
from parrain.core.services.orders import OrderData, record_order

from .conftest import PROBLEM, ApiClient, assert_problem
from .test_bad_input import seeded, snapshot  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

UNSTORABLE_MOMENTS = [
    "2026-11-24T10:00:00-20:00",  # offset past PostgreSQL's ±15:59
    "2026-11-24T10:00:00+16:00",
    "0001-01-01T00:00:00+01:00",  # year 0 once in UTC
    "9999-12-31T23:00:00-05:00",  # year 10000 once in UTC
    "1969-12-31T23:59:59Z",
    "1700000000",  # a Unix time is not RFC 3339
]


def _moment_requests(moment: str) -> list[tuple[str, str, Any, str]]:
    return [
        ("post", "/orders", {"external_id": "O-9", "amount": "5", "currency": "EUR",
                             "placed_at": moment}, "placed_at"),
        ("put", "/contacts", {"email": "new@example.com", "first_order_at": moment},
         "first_order_at"),
        ("post", "/orders/O-1/refunds", {"external_id": "R-9", "refunded_at": moment},
         "refunded_at"),
        ("post", "/contacts/bulk", {"rows": [{"email": "n@example.com",
                                              "first_order_at": moment}]}, ""),
        ("post", "/loyalty/actions", {"email": "bob@example.org", "kind": "custom",
                                      "custom_kind": "x", "points": 1, "occurred_at": moment},
         "occurred_at"),
    ]  # fmt: skip


@pytest.mark.parametrize("moment", UNSTORABLE_MOMENTS)
def test_moments_postgresql_cannot_store_are_a_422_naming_the_field(
    api: ApiClient,
    seeded: dict[str, Any],  # noqa: F811
    moment: str,
) -> None:
    before = snapshot()
    for method, path, body, field in _moment_requests(moment):
        response = api.call(method, path, body, HTTP_ACCEPT_LANGUAGE="en")
        if path == "/contacts/bulk":  # each row answers on its own, the request is a 200
            row = response.json()["results"][0]
            assert (row["status"], row["errors"][0]["field"]) == ("error", "first_order_at")
            continue
        body = assert_problem(response, 422, field)
        assert "1970 and 2999" in body["errors"][0]["message"]
    for name in ("since", "until"):
        response = api.call("get", "/referrals?" + urlencode({name: moment}))
        assert_problem(response, 422, name)
    assert snapshot() == before


def test_moments_at_the_edges_of_what_is_stored_are_accepted(api: ApiClient) -> None:
    for number, moment in enumerate(["2026-11-24T10:00:00+15:59", "2999-12-31T23:59:59-15:59"]):
        body = {"external_id": f"E-{number}", "amount": "5", "currency": "EUR",
                "placed_at": moment}  # fmt: skip
        assert api.call("post", "/orders", body).status_code == 201
    assert Order.objects.count() == 2


NUL = "a\x00b"


def _nul_requests(code: str) -> list[tuple[str, str, Any, str]]:
    return [
        ("put", "/contacts", {"email": "new@example.com", "first_name": NUL}, "first_name"),
        ("put", "/contacts", {"email": f"new{NUL}@example.com"}, "email"),
        ("post", "/orders", {"external_id": NUL, "amount": "5", "currency": "EUR"},
         "external_id"),
        ("post", "/contacts/bulk", {"rows": [{"email": "x@example.com", "last_name": NUL}]},
         "rows.0.last_name"),
        ("post", "/invitations", {"referrer_code": code, "emails": ["n@example.com"],
                                  "message": NUL}, "message"),
        ("post", f"/orders/O{NUL}1/refunds", {"external_id": "R-1"}, "external_id"),
        ("get", f"/referrals?referrer={NUL}", None, "referrer"),
        ("get", f"/contacts/bob{NUL}@example.org/loyalty", None, "contact"),
    ]  # fmt: skip


def test_nul_in_any_string_of_the_server_api_is_a_422_naming_the_field(
    api: ApiClient,
    seeded: dict[str, Any],  # noqa: F811
) -> None:
    before = snapshot()
    for method, path, body, field in _nul_requests(seeded["code"]):
        body = assert_problem(api.call(method, path, body, HTTP_ACCEPT_LANGUAGE="en"), 422, field)
        assert "NUL" in body["errors"][0]["message"]
    assert snapshot() == before


def test_nul_in_the_public_api_is_a_422_naming_the_field(api: ApiClient) -> None:
    client, key = Client(), api.program.public_key
    enrol = client.post(
        f"/api/v1/public/{key}/referrers",
        data=json.dumps({"email": "alice@example.com", "first_name": NUL}),
        content_type="application/json",
    )
    assert_problem(enrol, 422, "first_name")
    assert_problem(client.get(f"/api/v1/public/pk_{NUL}/config"), 422, "key")
    assert_problem(client.get(f"/api/v1/public/{key}/codes/AB{NUL}CD"), 422, "code")
    assert not api.program.contacts.exists()


DEEP = b'{"email": ' + b"[" * 1000 + b"]" * 1000 + b"}"


def test_deeply_nested_json_is_a_400_problem_in_both_apis(api: ApiClient) -> None:
    server = api.call("put", "/contacts", DEEP)
    public = Client().post(
        f"/api/v1/public/{api.program.public_key}/referrers",
        data=DEEP,
        content_type="application/json",
    )
    for response in (server, public):
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == PROBLEM


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_refunds_at_once_store_one_and_answer_201_once() -> None:
    program = ProgramFactory(currency="EUR")
    _, key = program.create_api_key("tests")
    record_order(program, OrderData(external_id="O-1", amount=Decimal("80"), currency="EUR"))
    barrier = Barrier(20)

    def refund() -> int:
        try:
            barrier.wait(timeout=30)
            response = Client().post(
                f"/api/v1/programs/{program.slug}/orders/O-1/refunds",
                data=json.dumps({"external_id": "R-1", "amount": "10"}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(lambda _: refund(), range(20)))

    assert statuses == [200] * 19 + [201]
    assert Refund.objects.count() == 1
    assert Order.objects.get().refunded_amount == Decimal("10.00")
