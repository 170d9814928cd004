"""Every outbound HTTP call of the plugin: timeouts, no redirects, no private targets.

The guard itself is the core's (``parrain.core.http_guard``: resolve once, refuse private
addresses, connect to the address checked); this module gives it the plugin's switch,
``PARRAIN_WEBHOOKS["ALLOW_PRIVATE_TARGETS"]`` (tests, the demo: ``DEBUG`` does not turn it
on, and a system check warns when it is on outside ``DEBUG``), and keeps one pooled client
per process.
"""

from __future__ import annotations

import functools
import ssl

import httpx

from parrain.core import http_guard
from parrain.core.http_guard import LIMITS, UnsafeTarget, forbidden

from .conf import webhook_settings

__all__ = [
    "LIMITS",
    "GuardedBackend",
    "GuardedTransport",
    "UnsafeTarget",
    "check_target",
    "client",
    "forbidden",
    "private_targets_allowed",
    "resolve",
]

USER_AGENT = "Parrain-Webhooks/1"


def private_targets_allowed() -> bool:
    return webhook_settings.ALLOW_PRIVATE_TARGETS


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, once; ``UnsafeTarget`` if any is forbidden."""
    return http_guard.resolve(host, port, allow_private=private_targets_allowed())


def check_target(url: str) -> None:
    """Raise ``UnsafeTarget`` unless ``url`` is http(s) to a public address (admin forms)."""
    http_guard.check_url(url, allow_private=private_targets_allowed())


class GuardedBackend(http_guard.GuardedBackend):
    """The core's guarded network backend under the plugin's switch."""

    def __init__(self) -> None:
        super().__init__(private_targets_allowed)


class GuardedTransport(http_guard.GuardedTransport):
    """The core's guarded transport under the plugin's switch."""

    def __init__(self, tls: ssl.SSLContext) -> None:
        super().__init__(tls, private_targets_allowed)


def tls_context() -> ssl.SSLContext:
    return http_guard.tls_context()


def client() -> httpx.Client:
    """One client per process and timeout setting: its TLS context and pooled connections
    are reused (building a client costs more than a request to a nearby receiver)."""
    return _client(webhook_settings.CONNECT_TIMEOUT, webhook_settings.READ_TIMEOUT)


@functools.cache
def _client(connect: float, read: float) -> httpx.Client:
    return http_guard.guarded_client(
        user_agent=USER_AGENT,
        connect_timeout=connect,
        read_timeout=read,
        allow_private=private_targets_allowed,
        tls=tls_context(),
    )
