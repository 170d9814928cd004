"""Every status an endpoint answers is in its published schema (issue 16 §3): the ones a
fuzzer rarely reaches, reached here on purpose and looked up in docs/openapi*.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.services.enrolment import enrol_referrer

from .conftest import ApiClient, assert_problem

DOCS = Path(__file__).resolve().parents[2] / "docs"
POOL = {"BACKEND": "parrain.core.fulfilment.pool.CodePoolBackend"}

pytestmark = pytest.mark.django_db


def _declared(document: str, method: str, path: str) -> set[int]:
    schema = json.loads((DOCS / document).read_text())
    return {int(status) for status in schema["paths"][path][method]["responses"]}


def _check(response: Any, document: str, method: str, path: str, status: int) -> None:
    assert_problem(response, status)
    assert status in _declared(document, method, path)


def test_an_empty_code_pool_is_a_declared_503_on_both_apis(api: ApiClient, settings) -> None:
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {}
    settings.PARRAIN_FULFILMENT = POOL
    code = enrol_referrer(api.program, "alice@example.com").code
    body = {"code": code, "email": "bob@example.org", "consent": True}
    response = api.call("post", "/registrations", body)
    _check(response, "openapi.json", "post", "/api/v1/programs/{slug}/registrations", 503)
    claim = Client().post(
        f"/api/v1/public/{api.program.public_key}/claims",
        json.dumps({**body, "email": "carol@example.org"}),
        content_type="application/json",
    )
    _check(claim, "openapi-public.json", "post", "/api/v1/public/{key}/claims", 503)


def test_unknown_public_key_and_anonymous_invitations_are_declared(settings) -> None:
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {}
    client = Client()
    unknown = client.get("/api/v1/public/pk_unknown0000000000/config")
    body = assert_problem(unknown, 401)
    assert body["type"].endswith("unknown-key")
    assert 401 in _declared("openapi-public.json", "get", "/api/v1/public/{key}/config")
    program = ProgramFactory(anonymous_invitations=False)
    code = enrol_referrer(program, "alice@example.com").code
    off = client.post(
        f"/api/v1/public/{program.public_key}/invitations",
        json.dumps({"code": code, "email": "alice@example.com", "emails": ["b@example.org"]}),
        content_type="application/json",
    )
    _check(off, "openapi-public.json", "post", "/api/v1/public/{key}/invitations", 403)
