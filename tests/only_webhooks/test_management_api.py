"""The webhooks plugin adds its management paths to the core's API once, without Oscar or
Wagtail."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from parrain.core.api.export_openapi import openapi_document
from parrain.core.factories import ProgramFactory
from parrain.core.models import AccountKey

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_router_is_mounted_once_even_if_ready_runs_again() -> None:
    apps.get_app_config("parrain_webhooks").ready()

    operations = [
        operation["operationId"]
        for path, item in openapi_document()["paths"].items()
        if "/webhooks/" in path
        for operation in item.values()
    ]

    assert len(operations) == len(set(operations)) == 12


def test_an_inbound_endpoint_is_created_with_the_url_to_paste() -> None:
    program = ProgramFactory()
    _key, clear = AccountKey.create("agency")

    created = Client().post(
        f"/api/v1/manage/programs/{program.slug}/webhooks/inbound",
        {"source": "generic"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {clear}",
    )

    assert created.status_code == 201, created.content
    assert created.json()["url"].endswith(f"/webhooks/in/{program.slug}/generic/")
    assert created.json()["secret"].startswith("whsec_")
