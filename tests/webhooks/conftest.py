from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import Program
from parrain.plugins.generic_webhook.models import InboundDelivery, InboundEndpoint

from .receiver import Receiver, running_receiver

LOCAL_FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    """A platform sample, byte for byte (copied in tests/webhooks/fixtures/)."""
    return (LOCAL_FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and cached JWKS do not leak from one test into the next."""
    cache.clear()


@pytest.fixture
def program(db: None) -> Program:
    return ProgramFactory(currency="USD", slug="boutique")


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": True}


@pytest.fixture
def receiver(allow_loopback: None) -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def endpoint(program: Program, source: str, **fields: Any) -> InboundEndpoint:
    return InboundEndpoint.objects.create(program=program, source=source, **fields)


def inbound_url(program: Program, source: str) -> str:
    return f"/webhooks/in/{program.slug}/{source}/"


def post(
    client: Client, url: str, body: bytes, content_type: str = "application/json", **headers: str
) -> Any:
    return client.post(url, data=body, content_type=content_type, headers=headers)


def last_delivery() -> InboundDelivery:
    return InboundDelivery.objects.order_by("-pk").first()
