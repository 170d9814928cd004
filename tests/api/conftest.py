from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import Program

PROBLEM = "application/problem+json"


@dataclass
class ApiClient:
    """Calls ``/api/v1/programs/<slug>/…`` with a secret key, JSON in and out."""

    program: Program
    key: str
    client: Client

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        slug = extra.pop("slug", self.program.slug)
        key = extra.pop("key", self.key)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        content_type = extra.pop("content_type", "application/json")
        return getattr(self.client, method)(
            f"/api/v1/programs/{slug}{path}",
            data=data,
            content_type=content_type,
            **headers,
            **extra,
        )


@pytest.fixture
def program() -> Program:
    return ProgramFactory()


@pytest.fixture
def api(program: Program) -> ApiClient:
    _, key = program.create_api_key("tests")
    return ApiClient(program=program, key=key, client=Client())


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:parrain:problem:") and body["title"] and body["detail"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


# The management API's client with an account key (mk_…): the `manage` fixture.
from .manage_client import manage  # noqa: E402, F401
