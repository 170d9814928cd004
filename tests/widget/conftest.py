from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import Program

ORIGIN = "https://shop.example"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and the config cache live in the cache: start each test empty."""
    from parrain.core.api import ratelimit

    cache.clear()
    ratelimit.buffered.clear()  # the share link's counts of this process


@dataclass
class Widget:
    """Calls ``/api/v1/public/<key>/…`` like the browser widget: JSON, with an Origin."""

    program: Program
    client: Client

    def get(self, path: str, origin: str | None = ORIGIN, **extra: Any) -> Any:
        headers = {"HTTP_ORIGIN": origin} if origin else {}
        return self.client.get(self.url(path), **headers, **extra)

    def post(self, path: str, body: Any, origin: str | None = ORIGIN, **extra: Any) -> Any:
        headers = {"HTTP_ORIGIN": origin} if origin else {}
        return self.client.post(
            self.url(path),
            data=json.dumps(body),
            content_type="application/json",
            **headers,
            **extra,
        )

    def url(self, path: str) -> str:
        return f"/api/v1/public/{self.program.public_key}{path}"


@pytest.fixture
def program(db: None) -> Program:
    return ProgramFactory()


@pytest.fixture
def widget(program: Program) -> Widget:
    return Widget(program=program, client=Client())


@pytest.fixture(autouse=True)
def _fresh_program_memo() -> None:
    from parrain.core.api import widget
    from parrain.core.api.origins import forget_programs
    from parrain.core.services.sharing import forget_targets

    forget_programs()
    forget_targets()
    widget._configs.forget()
