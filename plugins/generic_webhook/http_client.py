"""Every outbound HTTP call of the plugin: timeouts, no redirects, no private targets.

Outside ``DEBUG`` (or ``PARRAIN_WEBHOOKS["ALLOW_PRIVATE_TARGETS"]``) a URL whose host
resolves to a loopback, private, link-local, reserved or multicast address is refused, so
an endpoint cannot be used to probe the shop's own network.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from .conf import webhook_settings

USER_AGENT = "Parrain-Webhooks/1"


class UnsafeTarget(ValueError):
    pass


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def private_targets_allowed() -> bool:
    return bool(settings.DEBUG or webhook_settings.ALLOW_PRIVATE_TARGETS)


def check_target(url: str) -> None:
    """Raise ``UnsafeTarget`` unless ``url`` is http(s) to a public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(_("Only http and https URLs with a host name are accepted."))
    if private_targets_allowed():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise UnsafeTarget(_("The host name does not resolve.")) from exc
    if any(_forbidden(info[4][0]) for info in infos):
        raise UnsafeTarget(
            _("The URL points to a private or loopback address, which is not allowed.")
        )


def client() -> httpx.Client:
    """One client per process and timeout setting: its TLS context and pooled connections
    are reused (building a client costs more than a request to a nearby receiver)."""
    return _client(webhook_settings.CONNECT_TIMEOUT, webhook_settings.READ_TIMEOUT)


@functools.cache
def _client(connect: float, read: float) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(read, connect=connect),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )
