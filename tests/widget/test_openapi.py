from __future__ import annotations

import json
from pathlib import Path

from django.test import Client
from openapi_spec_validator import validate

from parrain.core.api.export_openapi import render

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi-public.json"


def test_committed_public_openapi_document_is_current_and_valid() -> None:
    current = render(public=True)
    assert COMMITTED.read_text() == current, "docs/openapi-public.json is stale: make openapi"
    document = json.loads(current)
    validate(document)
    assert "/api/v1/public/{key}/claims" in document["paths"]


def test_public_openapi_is_served(client: Client) -> None:
    response = client.get("/api/v1/public/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Parrain public widget API"
