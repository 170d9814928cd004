"""The SSRF guard of every outbound HTTP call: timeouts, no redirects, no private targets.

The guard sits in the transport, so no caller can forget it: each new connection resolves
the host name once, refuses it when any address is loopback, private, link-local, reserved,
multicast, or a NAT64 / 6to4 / Teredo / IPv4-mapped or -compatible form of such an address,
then connects to the very address it checked (a second DNS answer cannot swap in another,
which defeats DNS rebinding). TLS still sends the host name (SNI) and verifies the
certificate against it, and the ``Host`` header stays the name.

Who may reach private targets is the caller's setting, passed as ``allow_private`` (a
callable, read at each connection, so a test's override applies to a pooled client): the
core's regular imports read ``PARRAIN_ALLOW_PRIVATE_TARGETS``, the webhooks plugin its own
``PARRAIN_WEBHOOKS["ALLOW_PRIVATE_TARGETS"]``. ``DEBUG`` turns nothing off. Proxies from
the environment (``HTTPS_PROXY``…) are not used: the guard must see the address it
connects to.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx
from django.utils.translation import gettext as _

from .conf import parrain_settings

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
# RFC 6052 well-known NAT64 prefix: the last 32 bits are an IPv4 address.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# RFC 8215 local-use NAT64 prefix: translates into the operator's own network.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# IPv4-compatible addresses (deprecated): ``::a.b.c.d``.
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
AllowPrivate = Callable[[], bool]


class UnsafeTarget(ValueError):
    """The URL may not be fetched; ``str(error)`` says why, for a user."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv6 address reaches in the end, if it carries one."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _not_public(ip: Address) -> bool:
    return not ip.is_global or ip.is_multicast


def forbidden(address: str) -> bool:
    """True for an address that an outbound call must not reach."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _not_public(ip)
    if ip in LOCAL_NAT64:
        return True
    embedded = _embedded_ipv4(ip)
    if ip.ipv4_mapped or (embedded is not None and ip in IPV4_COMPATIBLE):
        return _not_public(embedded)  # type: ignore[arg-type]  # the kernel reaches the IPv4
    return _not_public(ip) or (embedded is not None and _not_public(embedded))


def private_targets_allowed() -> bool:
    """The core's own switch: ``PARRAIN_ALLOW_PRIVATE_TARGETS`` (tests, the demo)."""
    return parrain_settings.ALLOW_PRIVATE_TARGETS


def resolve(host: str, port: int, *, allow_private: bool = False) -> list[str]:
    """Every address ``host`` resolves to, once; ``UnsafeTarget`` if any is forbidden."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(_("The host name does not resolve.")) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private and any(forbidden(address) for address in addresses):
        raise UnsafeTarget(
            _("The URL points to a private or loopback address, which is not allowed.")
        )
    return addresses


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise ``UnsafeTarget`` unless ``url`` is http(s) to a public address (admin forms)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(_("Only http and https URLs with a host name are accepted."))
    resolve(parts.hostname, parts.port or 443, allow_private=allow_private)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network layer with the guard: resolve once, check, connect to that IP."""

    def __init__(self, allow_private: AllowPrivate = private_targets_allowed) -> None:
        self._system = httpcore.SyncBackend()
        self._allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        refused: httpcore.ConnectError | None = None
        for address in resolve(host, port, allow_private=self._allow_private()):
            try:
                return self._system.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # the next address, as the system would
                refused = exc
        raise refused or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise UnsafeTarget(_("Only http and https URLs with a host name are accepted."))

    def sleep(self, seconds: float) -> None:
        self._system.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport over the guarded network backend (httpx has no argument for
    it, httpcore's pool has: the pool is rebuilt with it)."""

    def __init__(
        self,
        tls: ssl.SSLContext,
        allow_private: AllowPrivate = private_targets_allowed,
        limits: httpx.Limits = LIMITS,
    ) -> None:
        super().__init__(verify=tls, limits=limits, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private),
        )


def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def guarded_client(
    *,
    user_agent: str,
    connect_timeout: float,
    read_timeout: float,
    allow_private: AllowPrivate = private_targets_allowed,
    tls: ssl.SSLContext | None = None,
) -> httpx.Client:
    """An httpx client behind the guard: timeouts, no redirects, no proxy from the
    environment. Callers that call often keep one (building it costs a TLS context)."""
    return httpx.Client(
        transport=GuardedTransport(tls or tls_context(), allow_private),
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        follow_redirects=False,
        headers={"User-Agent": user_agent},
        trust_env=False,
    )
