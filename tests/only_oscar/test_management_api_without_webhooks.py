"""The management API in an install without the webhooks plugin: no webhook paths, the
rest (imports with an account key) works."""

from __future__ import annotations

import sys

import pytest
from django.test import Client

from parrain.core.api.export_openapi import openapi_document
from parrain.core.factories import ProgramFactory
from parrain.core.models import AccountKey

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_no_webhook_paths_and_the_plugin_is_not_imported() -> None:
    paths = openapi_document()["paths"]
    assert not [path for path in paths if "/webhooks" in path]
    assert "/api/v1/programs/{slug}/imports" in paths
    assert not [name for name in sys.modules if name.startswith("parrain.plugins.generic_webhook")]


def test_webhook_paths_are_a_404_problem_and_imports_answer() -> None:
    program = ProgramFactory()
    _key, clear = AccountKey.create("agency")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {clear}"}

    missing = Client().get(f"/api/v1/manage/programs/{program.slug}/webhooks/outbound", **auth)
    imports = Client().get(f"/api/v1/programs/{program.slug}/imports", **auth)

    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert imports.status_code == 200 and imports.json()["items"] == []
