"""The SSRF guard of every outbound call (issue 10 point 8): the host name is resolved once,
every address is checked, the connection goes to the address that was checked, TLS still
verifies the name, and DEBUG does not turn any of it off.

Nothing here leaves the machine: a fake resolver answers for ``*.test`` names, and
``socket.create_connection`` refuses anything but loopback (and records every target)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.checks import run_checks
from django.utils import translation

from parrain.core.exceptions import FulfilmentError
from parrain.plugins.generic_webhook import fulfilment, http_client
from parrain.plugins.generic_webhook.http_client import UnsafeTarget, check_target
from parrain.plugins.generic_webhook.outbound import delivery
from parrain.plugins.generic_webhook.outbound.receivers import emit

from .conftest import endpoint, fixture_bytes
from .test_inbound_saleor import SaleorKeys, send
from .test_outbound import hook

pytestmark = pytest.mark.django_db
PUBLIC_V4 = "93.184.215.14"


class FakeResolver:
    """``getaddrinfo`` answering for the test's names (successive answers, the last one
    repeated); any other name goes to the system resolver."""

    def __init__(self, system: Any) -> None:
        self.system = system
        self.answers: dict[str, list[list[str]]] = {}

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self.system(host, port, *args, **kwargs)
        queue = self.answers[name]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [self._info(address, int(port or 0)) for address in addresses]

    @staticmethod
    def _info(address: str, port: int) -> tuple[Any, ...]:
        if ":" in address:
            return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
        return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


class LoopbackOnly:
    """``socket.create_connection`` that records every target and only reaches loopback."""

    def __init__(self, system: Any) -> None:
        self.system = system
        self.targets: list[str] = []

    def __call__(self, address: tuple[Any, ...], *args: Any, **kwargs: Any) -> socket.socket:
        host = address[0]
        self.targets.append(host)
        try:
            public = not ipaddress.ip_address(host).is_loopback
        except ValueError:
            public = False  # a name: the system resolves it (through the fake resolver)
        if public:
            raise ConnectionRefusedError("tests never leave this machine")
        return self.system(address, *args, **kwargs)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    fake = FakeResolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> LoopbackOnly:
    fake = LoopbackOnly(socket.create_connection)
    monkeypatch.setattr(socket, "create_connection", fake)
    return fake


@pytest.fixture(autouse=True)
def fresh_client() -> Iterator[None]:
    """No pooled connection survives from one test to the next."""
    http_client._client.cache_clear()
    yield
    http_client._client.cache_clear()


@pytest.fixture
def guard_on(settings: Any) -> None:
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": False}


def port_of(receiver: Any) -> int:
    return receiver.server.server_address[1]


def test_dns_rebinding_never_reaches_the_loopback_server(
    program, receiver, resolver, connections, guard_on
):
    # Given a name that resolves to a public address first, then to 127.0.0.1
    resolver.answers["rebind.test"] = [[PUBLIC_V4], ["127.0.0.1"]]
    hook(program, f"http://rebind.test:{port_of(receiver)}/hook")
    message = emit(program, "reward.issued", {"id": 1})[0]
    # When the webhook is delivered
    delivery.attempt(message.pk)
    # Then the connection went to the address that was checked, never to loopback
    assert receiver.requests == []
    assert connections.targets == [PUBLIC_V4]
    assert "ConnectError" in message.attempts.get().error


BYPASS_FORMS = [
    "127.0.0.1",
    "10.0.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::127.0.0.1",  # IPv4-compatible
    "::169.254.169.254",
    "64:ff9b::127.0.0.1",  # NAT64, well-known prefix
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::192.168.1.1",
    "64:ff9b:1::8.8.8.8",  # NAT64, local-use prefix: the operator's own network
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
]


@pytest.mark.parametrize("address", BYPASS_FORMS)
def test_every_form_of_a_private_address_is_refused(address, resolver, connections, guard_on):
    resolver.answers["evil.test"] = [[address]]
    with pytest.raises(UnsafeTarget):
        http_client.client().get("http://evil.test/")
    with pytest.raises(UnsafeTarget):
        check_target("http://evil.test/")  # the admin form's check
    assert connections.targets == []


def test_one_private_address_among_public_ones_is_refused(resolver, connections, guard_on):
    resolver.answers["mixed.test"] = [[PUBLIC_V4, "10.0.0.1"]]
    with pytest.raises(UnsafeTarget):
        http_client.client().get("http://mixed.test/")
    assert connections.targets == []


@pytest.mark.parametrize(
    "address",
    [PUBLIC_V4, "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b::5db8:d70e", "::ffff:8.8.8.8"],
)
def test_public_addresses_are_reached_at_the_checked_address(
    address, resolver, connections, guard_on
):
    resolver.answers["public.test"] = [[address]]
    with pytest.raises(httpx.ConnectError):  # the fake network refuses; the guard did not
        http_client.client().get("http://public.test/")
    assert connections.targets == [address]


def test_debug_does_not_switch_the_guard_off(program, receiver, settings):
    settings.DEBUG = True
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": False}
    hook(program, f"{receiver.url}/hook")
    message = emit(program, "reward.issued", {"id": 1})[0]
    with translation.override("en"):
        delivery.attempt(message.pk)
    assert receiver.requests == []
    assert "private or loopback" in message.attempts.get().error


def test_system_check_warns_when_private_targets_are_allowed_outside_debug(settings):
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": True}
    settings.DEBUG = False
    assert "parrain_webhooks.W001" in [m.id for m in run_checks()]
    settings.DEBUG = True
    assert "parrain_webhooks.W001" not in [m.id for m in run_checks()]
    settings.DEBUG = False
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": False}
    assert "parrain_webhooks.W001" not in [m.id for m in run_checks()]


def test_saleor_jwks_fetch_is_pinned_too(
    client, program, receiver, resolver, connections, settings
):
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": False}
    resolver.answers["saleor.test"] = [[PUBLIC_V4], ["127.0.0.1"]]
    endpoint(program, "saleor", saleor_api_url=f"http://saleor.test:{port_of(receiver)}/graphql/")
    keys = SaleorKeys()
    body = fixture_bytes("saleor_order_fully_paid.json")
    response = send(client, program, body, "order_fully_paid", keys.sign(body))
    assert response.status_code == 503
    assert receiver.requests == []
    assert connections.targets == [PUBLIC_V4]


def test_shop_api_calls_of_reward_fulfilment_are_pinned_too(
    receiver, resolver, connections, guard_on
):
    resolver.answers["shop.test"] = [[PUBLIC_V4], ["127.0.0.1"]]
    with pytest.raises(FulfilmentError):
        fulfilment._call("POST", f"http://shop.test:{port_of(receiver)}/wp-json/wc/v3/coupons")
    assert receiver.requests == []
    assert "127.0.0.1" not in connections.targets


# -- TLS: the pinned connection still presents and verifies the host name -----------------


def _certificate(name: str, key: Any, issuer: x509.Name, signer: Any, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture
def tls_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """An HTTPS server on loopback with a certificate for ``shop.test`` from a test CA that
    the client trusts; it records the SNI name and the Host header it received."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Parrain test CA")])
    ca = _certificate("Parrain test CA", ca_key, ca_name, ca_key, ca=True)
    leaf = _certificate("shop.test", key, ca_name, ca_key, ca=False)
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    seen: dict[str, Any] = {"sni": [], "host": []}
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
    server_tls.sni_callback = lambda sock, name, context: seen["sni"].append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen["host"].append(self.headers["Host"])
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client_tls = ssl.create_default_context(
        cadata=ca.public_bytes(serialization.Encoding.PEM).decode()
    )
    monkeypatch.setattr(http_client, "tls_context", lambda: client_tls)
    http_client._client.cache_clear()
    seen["port"] = server.server_address[1]
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_pinned_tls_connection_verifies_the_host_name(tls_shop, resolver, settings):
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": True}  # the test shop is on loopback
    resolver.answers["shop.test"] = [["127.0.0.1"]]
    resolver.answers["other.test"] = [["127.0.0.1"]]
    port = tls_shop["port"]
    response = http_client.client().get(f"https://shop.test:{port}/")
    assert response.status_code == 200
    assert tls_shop["sni"] == ["shop.test"]
    assert tls_shop["host"] == [f"shop.test:{port}"]
    # The same server under a name its certificate does not carry is refused by TLS
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        http_client.client().get(f"https://other.test:{port}/")
