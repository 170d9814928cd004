"""Every endpoint refuses bad input with a problem, and nothing stored changes."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import (
    AuditEvent,
    Contact,
    Invitation,
    Order,
    Referral,
    Refund,
    Reward,
)
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(api: ApiClient) -> dict[str, Any]:
    """Alice referred Bob, whose order O-1 converted the referral."""
    code = enrol_referrer(api.program, "alice@example.com", first_name="Alice").code
    welcome = register_referee(api.program, code, "bob@example.org", consent=True).reward
    outcome = record_order(
        api.program,
        OrderData(
            external_id="O-1",
            email="bob@example.org",
            amount=Decimal("80"),
            currency="EUR",
            welcome_code=welcome.code,
        ),
    )
    return {"code": code, "referral": outcome.referral.pk}


def snapshot() -> tuple[Any, ...]:
    """Everything a bad request could have touched."""
    models = (Contact, Invitation, Referral, Order, Refund, Reward, AuditEvent)
    return (
        tuple(model.objects.count() for model in models),
        list(Contact.objects.order_by("pk").values()),
        list(Referral.objects.order_by("pk").values()),
        list(Order.objects.order_by("pk").values()),
        list(Reward.objects.order_by("pk").values()),
    )


def endpoints(seeded: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(method, path, a valid body) for every endpoint."""
    referral = seeded["referral"]
    return [
        ("put", "/contacts", {"email": "new@example.com"}),
        ("post", "/contacts/bulk", {"rows": [{"email": "new@example.com"}]}),
        ("post", "/referrers", {"email": "new@example.com"}),
        ("post", "/invitations", {"referrer_code": seeded["code"], "emails": ["n@example.com"]}),
        ("post", "/registrations", {"code": seeded["code"], "email": "new@example.com"}),
        ("post", "/orders", {"external_id": "O-2", "amount": "5", "currency": "EUR"}),
        ("post", "/orders/O-1/refunds", {"external_id": "R-1", "amount": "1"}),
        ("get", "/stats?start=2026-01-01&end=2026-01-31", None),
        ("get", "/stats/series?start=2026-01-01&end=2026-01-31", None),
        ("get", "/referrals", None),
        ("post", f"/referrals/{referral}/approve", None),
        ("post", f"/referrals/{referral}/reject", {"reason": "nope"}),
    ]


BODY_ENDPOINTS = [0, 1, 2, 3, 4, 5, 6, 11]


def test_unknown_program_is_404_for_every_endpoint(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    for method, path, body in endpoints(seeded):
        assert_problem(api.call(method, path, body, slug="no-such-program"), 404, "slug")
    assert snapshot() == before


@pytest.mark.parametrize("case", ["missing", "wrong", "revoked", "other_program", "not_bearer"])
def test_bad_key_is_the_same_401_for_every_endpoint(
    api: ApiClient, seeded: dict, case: str
) -> None:
    other_key = ProgramFactory().create_api_key()[1]
    if case == "revoked":
        api.program.api_keys.update(revoked_at=timezone.now())
    key = {"missing": "", "wrong": "sk_wrong", "revoked": api.key, "other_program": other_key}
    before = snapshot()
    for method, path, body in endpoints(seeded):
        if case == "not_bearer":
            response = api.call(method, path, body, key="", HTTP_AUTHORIZATION=f"Basic {api.key}")
        else:
            response = api.call(method, path, body, key=key[case])
        problem = assert_problem(response, 401)
        assert problem["type"] == "urn:parrain:problem:unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_good_key_records_last_use_once_a_minute(api: ApiClient, seeded: dict) -> None:
    key = api.program.api_keys.get()
    assert api.call("get", "/referrals").status_code == 200
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    assert api.call("get", "/referrals").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at == first


def test_malformed_json_is_400(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    for index in BODY_ENDPOINTS:
        method, path, _ = endpoints(seeded)[index]
        for raw in ('{"email": ', b"\xff\xfe{}", "{'single': 'quotes'}"):
            assert_problem(api.call(method, path, raw), 400)
    assert snapshot() == before


def test_wrong_content_type_is_415(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    for index in BODY_ENDPOINTS:
        method, path, body = endpoints(seeded)[index]
        encoded = json.dumps(body)
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = api.call(method, path, encoded, content_type=content_type)
            assert_problem(response, 415)
    assert snapshot() == before


@override_settings(PARRAIN_API_MAX_BODY_BYTES=1024)
def test_body_over_the_limit_is_413_before_it_is_read(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    for index in BODY_ENDPOINTS:
        method, path, body = endpoints(seeded)[index]
        padded = json.dumps({**body, "padding": "x" * 2000})
        assert_problem(api.call(method, path, padded), 413)
    assert snapshot() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_body_over_django_upload_limit_is_413(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    body = json.dumps({"email": "new@example.com", "first_name": "x" * 1500})
    assert_problem(api.call("put", "/contacts", body), 413)
    assert snapshot() == before


def test_unknown_path_and_method_are_problems(api: ApiClient) -> None:
    assert_problem(api.call("get", "/nothing-here"), 404)
    assert_problem(api.client.get("/api/v1/nope"), 404)
    response = api.call("delete", "/contacts")
    assert_problem(response, 405)
    assert response["Allow"] == "PUT"
    assert_problem(api.call("post", "/referrals/not-a-number/approve"), 422, "referral_id")
    assert_problem(api.call("post", f"/referrals/{2**64}/approve"), 422, "referral_id")
    assert_problem(api.call("post", "/referrals/0/reject"), 422, "referral_id")


INVALID_BODIES = [
    # (endpoint index, body, field)
    (0, {}, "email"),
    (0, {"email": "not-an-email"}, "email"),
    (0, {"email": 42}, "email"),
    (0, {"email": "a@example.com", "is_customer": "maybe"}, "is_customer"),
    (0, {"email": "a@example.com", "unknown": 1}, "unknown"),
    (0, {"email": "a@example.com", "language": "french"}, "language"),
    (0, ["email"], ""),
    (1, {}, "rows"),
    (1, {"rows": "all of them"}, "rows"),
    (2, {"email": "bob@"}, "email"),
    (2, {"first_name": "Bob"}, "email"),
    (3, {"emails": ["a@example.com"]}, ""),
    (3, {"referrer_code": "X", "referrer_email": "a@example.com", "emails": ["b@example.com"]}, ""),
    (3, {"referrer_code": "X", "emails": []}, "emails"),
    (3, {"referrer_code": "X", "emails": ["ok@example.com", "broken"]}, "emails.1"),
    (3, {"referrer_code": "X", "emails": "a@example.com"}, "emails"),
    (4, {"code": "ABC"}, "email"),
    (4, {"code": "ABC", "email": "bad", "consent": "perhaps"}, "consent"),
    (5, {"external_id": "O-9", "amount": "-1", "currency": "EUR"}, "amount"),
    (5, {"external_id": "O-9", "amount": "abc", "currency": "EUR"}, "amount"),
    (5, {"external_id": "O-9", "amount": "NaN", "currency": "EUR"}, "amount"),
    (5, {"external_id": "O-9", "amount": "1.001", "currency": "EUR"}, "amount"),
    (5, {"external_id": "O-9", "amount": "1e400", "currency": "EUR"}, "amount"),
    (5, {"external_id": "O-9", "amount": "5", "currency": "EURO"}, "currency"),
    (5, {"external_id": "O-9", "amount": "5", "currency": "USD"}, "currency"),
    (5, {"external_id": "", "amount": "5", "currency": "EUR"}, "external_id"),
    (5, {"amount": "5", "currency": "EUR"}, "external_id"),
    (5, {"external_id": "O-9", "amount": "5", "currency": "EUR", "email": "x"}, "email"),
    (
        5,
        {"external_id": "O-9", "amount": 5, "currency": "EUR", "placed_at": "yesterday"},
        "placed_at",
    ),
    (6, {"external_id": "R-1", "amount": "-5"}, "amount"),
    (6, {"external_id": "R-1", "amount": "500"}, "amount"),
    (6, {"amount": "5"}, "external_id"),
    (11, {"reason": ""}, "reason"),
]


@pytest.mark.parametrize(("index", "body", "field"), INVALID_BODIES)
def test_invalid_body_is_422_with_the_field(
    api: ApiClient, seeded: dict, index: int, body: Any, field: str
) -> None:
    method, path, _ = endpoints(seeded)[index]
    before = snapshot()
    assert_problem(api.call(method, path, body), 422, field)
    assert snapshot() == before


def test_a_replayed_order_with_the_wrong_currency_changes_nothing(
    api: ApiClient, seeded: dict
) -> None:
    before = snapshot()
    body = {"external_id": "O-1", "amount": "1", "currency": "USD"}
    assert_problem(api.call("post", "/orders", body), 422, "currency")
    assert snapshot() == before


def test_refund_of_an_unknown_order_is_404(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    response = api.call("post", "/orders/NOPE/refunds", {"external_id": "R-1"})
    assert_problem(response, 404, "order_external_id")
    assert snapshot() == before


def test_unknown_referrer_or_code_is_404(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    invite = {"referrer_email": "nobody@example.com", "emails": ["f@example.com"]}
    assert_problem(api.call("post", "/invitations", invite), 404, "referrer_email")
    register = {"code": "NOSUCHCODE", "email": "f@example.com"}
    assert_problem(api.call("post", "/registrations", register), 404, "code")
    assert snapshot() == before


def test_refused_registration_is_409_with_the_reason(api: ApiClient, seeded: dict) -> None:
    body = {"code": seeded["code"], "email": "alice@example.com"}
    problem = assert_problem(api.call("post", "/registrations", body), 409)
    assert problem["reason"] == "self_referral"


@override_settings(PARRAIN_BULK_MAX_ROWS=3)
def test_too_many_bulk_rows_writes_nothing(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    rows = [{"email": f"row{n}@example.com"} for n in range(4)]
    assert_problem(api.call("post", "/contacts/bulk", {"rows": rows}), 413, "rows")
    assert snapshot() == before


def test_bulk_keeps_good_rows_and_reports_each_bad_one(api: ApiClient, seeded: dict) -> None:
    rows = [
        {"email": "new@example.com", "first_name": "New"},
        {"email": "broken"},
        {"email": "bob@example.org", "last_name": "Martin"},
        "not an object",
        {"email": "x@example.com", "amount": 3},
    ]
    response = api.call("post", "/contacts/bulk", {"rows": rows})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 3)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [(0, "created"), (1, "error"), (2, "updated"), (3, "error"), (4, "error")]
    assert body["results"][1]["errors"][0]["field"] == "email"
    assert body["results"][4]["errors"][0]["field"] == "amount"
    assert Contact.objects.get(email="bob@example.org").last_name == "Martin"
    assert not Contact.objects.filter(email="x@example.com").exists()


def test_bulk_vouches_for_created_and_existing_addresses(api: ApiClient, seeded: dict) -> None:
    """The shop answers for the addresses it sends: a contact created has its address
    confirmed with its row, one that existed unconfirmed is confirmed, one confirmed
    before keeps its date."""
    before = timezone.now() - timedelta(days=3)
    Contact.objects.filter(email="bob@example.org").update(email_verified_at=None)
    Contact.objects.filter(email="alice@example.com").update(email_verified_at=before)
    rows = [{"email": e} for e in ("new@example.com", "bob@example.org", "alice@example.com")]
    body = api.call("post", "/contacts/bulk", {"rows": rows}).json()
    assert [r["status"] for r in body["results"]] == ["created", "updated", "updated"]
    created = Contact.objects.get(email="new@example.com")
    assert created.email_verified_at is not None
    assert Contact.objects.get(email="bob@example.org").email_verified_at is not None
    assert Contact.objects.get(email="alice@example.com").email_verified_at == before


def test_bulk_row_with_a_taken_external_id_fails_alone(api: ApiClient, seeded: dict) -> None:
    Contact.objects.filter(email="bob@example.org").update(external_id="C-1")
    rows = [{"email": "alice@example.com", "external_id": "C-1"}, {"email": "z@example.com"}]
    body = api.call("post", "/contacts/bulk", {"rows": rows}).json()
    assert [r["status"] for r in body["results"]] == ["error", "created"]
    assert body["results"][0]["errors"][0]["field"] == "external_id"
    assert Contact.objects.get(email="alice@example.com").external_id is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-02-01&end=2026-01-01", "end"),
        ("start=2025-01-01&end=2026-01-02", "end"),
        ("start=2026-01-01", "end"),
        ("start=yesterday&end=2026-01-01", "start"),
        ("start=0001-01-01&end=0001-01-02", "start"),
        ("start=9999-12-30&end=9999-12-31", "start"),
    ],
)
def test_bad_stats_range_is_422(api: ApiClient, seeded: dict, query: str, field: str) -> None:
    for path in ("/stats", "/stats/series"):
        assert_problem(api.call("get", f"{path}?{query}"), 422, field)


def test_series_interval_other_than_day_is_422(api: ApiClient) -> None:
    response = api.call("get", "/stats/series?start=2026-01-01&end=2026-01-02&interval=week")
    assert_problem(response, 422, "interval")


@pytest.mark.parametrize(
    "cursor",
    ["zzz", "e30", "WyJub3QgYSBkYXRlIiwgMV0", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwtMV0"],
)
def test_bad_cursor_is_400(api: ApiClient, seeded: dict, cursor: str) -> None:
    assert_problem(api.call("get", f"/referrals?cursor={cursor}"), 400, "cursor")


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=201", "limit"), ("status=lost", "status"), ("since=x", "since")],
)
def test_bad_referral_filters_are_422(api: ApiClient, query: str, field: str) -> None:
    assert_problem(api.call("get", f"/referrals?{query}"), 422, field)


def test_review_of_a_referral_not_held_is_409(api: ApiClient, seeded: dict) -> None:
    before = snapshot()
    for action in ("approve", "reject"):
        problem = assert_problem(api.call("post", f"/referrals/{seeded['referral']}/{action}"), 409)
        assert problem["reason"] == "not_in_review"
    assert snapshot() == before


def test_review_of_another_programs_referral_is_404(api: ApiClient, seeded: dict) -> None:
    other = ProgramFactory()
    _, key = other.create_api_key()
    response = api.call(
        "post", f"/referrals/{seeded['referral']}/approve", slug=other.slug, key=key
    )
    assert_problem(response, 404, "id")


def test_an_unknown_query_parameter_is_a_400_naming_it(api: ApiClient) -> None:
    """A typo (``?limt=5``) is refused, not silently ignored: the schema allows no others."""
    body = assert_problem(
        api.call("get", "/referrals?limt=5", HTTP_ACCEPT_LANGUAGE="en"), 400, field="limt"
    )
    assert body["type"].endswith("unknown-query-parameter")
    assert "limt" in body["detail"]
    assert api.call("get", "/referrals?limit=5").status_code == 200
