"""Behind a reverse proxy: the rate limits count the address the proxy saw, not a forged one.

The documented set-up is one trusted proxy that appends the address it received the request
from to ``X-Forwarded-For``; whatever the client itself sent comes before that entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from parrain.core.models import Program
from parrain.core.services.enrolment import enrol_referrer
from tests.widget.conftest import Widget

PROXY = "10.0.0.1"  # REMOTE_ADDR of every request: the reverse proxy
REAL = "198.51.100.23"  # the client's address, appended by the proxy
NEIGHBOUR = "198.51.100.24"  # another client behind the same proxy


@pytest.fixture(autouse=True)
def behind_a_proxy(settings: Any) -> Iterator[None]:
    settings.PARRAIN_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"ip_write": (3, 60), "share_link": (3, 60)}
    with mock.patch("parrain.core.api.ratelimit.time.time", lambda: 1_800_000_020.0):
        yield


def forwarded(forged: str, real: str = REAL) -> dict[str, str]:
    """What the proxy passes on when the client sent ``X-Forwarded-For: <forged>``."""
    return {"HTTP_X_FORWARDED_FOR": f"{forged}, {real}", "REMOTE_ADDR": PROXY}


def test_a_client_forging_forwarded_for_is_still_limited_on_its_real_address(
    widget: Widget,
) -> None:
    # Given a client that sends a new made-up first entry with each request
    for n in range(3):
        body = {"email": f"p{n}@example.com"}
        assert widget.post("/referrers", body, **forwarded(f"1.2.3.{n}")).status_code == 200
    # Then its fourth write is refused all the same: the limit counts the proxy's entry
    refused = widget.post("/referrers", {"email": "p9@example.com"}, **forwarded("1.2.3.99"))
    assert refused.status_code == 429
    # and a neighbour behind the same proxy, forging the same first entry, is not affected
    other = widget.post("/referrers", {"email": "n@example.com"}, **forwarded("1.2.3.0", NEIGHBOUR))
    assert other.status_code == 200


def test_share_link_limit_counts_the_real_address_behind_the_proxy(program: Program) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    client = Client()
    for n in range(3):
        assert client.get(f"/r/{code}", **forwarded(f"1.2.3.{n}")).status_code == 302
    assert client.get(f"/r/{code}", **forwarded("1.2.3.99")).status_code == 429
    assert client.get(f"/r/{code}", **forwarded("1.2.3.0", NEIGHBOUR)).status_code == 302
