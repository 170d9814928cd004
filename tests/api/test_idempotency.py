"""``Idempotency-Key`` on the server API's POSTs: a retry gets the first answer, once."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from parrain.core.idempotency import forget_expired
from parrain.core.models import Contact, IdempotentRequest, Order

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db
ORDER = {"external_id": "A-1", "email": "dan@example.com", "amount": "12.50", "currency": "EUR"}


def post(api: ApiClient, path: str, body: dict, key: str | None = "4f1c-retry-1", **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.call("post", path, body, **headers, **extra)


def test_a_retry_gets_the_first_answer_and_stores_nothing_twice(api: ApiClient) -> None:
    first = post(api, "/orders", ORDER)
    again = post(api, "/orders", ORDER)
    # Without the key the second call would say 200 "already recorded": with it, the retry
    # cannot tell it was a retry, which is the point.
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Order.objects.filter(program=api.program).count() == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(api: ApiClient) -> None:
    post(api, "/orders", ORDER)
    other = post(api, "/orders", {**ORDER, "external_id": "A-2"})
    body = assert_problem(other, 422, "Idempotency-Key")
    assert body["type"].endswith("idempotency-key-reused")
    assert list(Order.objects.values_list("external_id", flat=True)) == ["A-1"]


def test_the_same_key_on_another_endpoint_is_another_body(api: ApiClient) -> None:
    post(api, "/orders", ORDER)
    enrol = post(api, "/referrers", {"email": "alice@example.com"})
    assert_problem(enrol, 422, "Idempotency-Key")
    assert not Contact.objects.filter(email="alice@example.com").exists()


def test_keys_belong_to_the_credential_that_sent_them(api: ApiClient) -> None:
    _, other_key = api.program.create_api_key("second server")
    post(api, "/referrers", {"email": "alice@example.com"})
    headers = {"HTTP_IDEMPOTENCY_KEY": "4f1c-retry-1"}
    second = api.call("post", "/referrers", {"email": "bob@example.com"}, key=other_key, **headers)
    assert second.status_code == 201, second.content
    assert Contact.objects.filter(email="bob@example.com").exists()


def test_a_retry_while_the_first_still_runs_is_told_to_wait(api: ApiClient) -> None:
    post(api, "/orders", ORDER)
    IdempotentRequest.objects.update(status=None)  # as while the first request runs
    response = post(api, "/orders", ORDER)
    assert_problem(response, 409)
    assert response["Retry-After"] == "1"


@pytest.mark.parametrize("key", ["", "x" * 256, "café", "two words"])
def test_a_malformed_key_is_a_400_and_runs_nothing(api: ApiClient, key: str) -> None:
    assert_problem(post(api, "/orders", ORDER, key=key), 400, "Idempotency-Key")
    assert not Order.objects.exists()


def test_an_unauthenticated_request_is_not_remembered(api: ApiClient) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    refused = api.call("post", "/orders", ORDER, key="sk_wrong", **headers)
    assert refused.status_code == 401
    assert not IdempotentRequest.objects.exists()
    assert post(api, "/orders", ORDER, key="k-1").status_code == 201


def test_keys_expire_after_24_hours(api: ApiClient) -> None:
    post(api, "/orders", ORDER)
    later = timezone.now() + timedelta(hours=24, minutes=1)
    with time_machine.travel(later, tick=False):
        retry = post(api, "/orders", ORDER)
        assert retry.status_code == 200  # ran again: "already recorded"
        assert "Idempotent-Replayed" not in retry
    with time_machine.travel(later + timedelta(hours=24, minutes=1), tick=False):
        assert forget_expired() == 1
    assert not IdempotentRequest.objects.exists()


def test_requests_without_the_header_are_untouched(api: ApiClient) -> None:
    assert post(api, "/orders", ORDER, key=None).status_code == 201
    assert post(api, "/orders", ORDER, key=None).status_code == 200
    assert not IdempotentRequest.objects.exists()


def test_every_post_of_the_published_schema_documents_the_header() -> None:
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs/openapi.json").read_text())
    posts = [
        op for ops in schema["paths"].values() for method, op in ops.items() if method == "post"
    ]
    assert posts
    for operation in posts:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert "Idempotency-Key" in names, operation["operationId"]
        assert {"409", "422"} <= operation["responses"].keys()


def test_erasure_scrubs_a_sealed_answer_and_keeps_it_sealed() -> None:
    from parrain.core import crypto
    from parrain.core.erasure import PersonalData, scrub_stored_answers

    answer = b'{"label": "Zoe Martin <zoe@example.com>", "key": "sk_live_secret"}'
    row = IdempotentRequest.objects.create(
        scope="s", key="k", fingerprint="f", status=201, body=crypto.seal(answer), sealed=True
    )
    person = PersonalData(emails=("zoe@example.com",), names=("Zoe", "Martin"))
    assert scrub_stored_answers(IdempotentRequest.objects.all(), person) == 1
    row.refresh_from_db()
    assert row.sealed and b"zoe" not in bytes(row.body)
    replayed = crypto.unseal(bytes(row.body))
    assert b"zoe@example.com" not in replayed and b"sk_live_secret" in replayed
