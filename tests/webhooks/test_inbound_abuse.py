"""What a stranger without the signing secret can make us do (issue 10 points 6 and 11):
store almost nothing, be counted per IP, and never crash the endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from parrain.core.models import Contact, Order
from parrain.plugins.generic_webhook.models import InboundDelivery, InboundEndpoint, Result

from .conftest import endpoint, inbound_url, last_delivery
from .test_inbound_generic import signed
from .test_inbound_shopify import SECRET as SHOPIFY_SECRET
from .test_inbound_shopify import shopify_headers
from .test_inbound_woocommerce import SECRET as WOO_SECRET
from .test_inbound_woocommerce import wc_headers

pytestmark = pytest.mark.django_db
MIB = 1024 * 1024
SALEOR_SECRET = "saleor-legacy-secret"
EXCERPT_BYTES = 256  # what is kept of a body whose signature did not verify
FORGED = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def one_mib_of_json() -> bytes:
    body = b'{"pad":"' + b"x" * (MIB - 10) + b'"}'
    assert len(body) == MIB
    return body


def make_endpoint(program, source: str) -> InboundEndpoint:
    secrets = {"shopify": SHOPIFY_SECRET, "woocommerce": WOO_SECRET, "saleor": SALEOR_SECRET}
    return endpoint(program, source, **({"secret": secrets[source]} if source in secrets else {}))


def forged_headers(source: str) -> dict[str, str]:
    """Every header the platform sends, with a signature made without the secret."""
    if source == "generic":
        now = str(int(datetime.now(tz=UTC).timestamp()))
        return {"webhook-id": "msg_x", "webhook-timestamp": now, "webhook-signature": FORGED}
    if source == "shopify":
        return {"X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": FORGED[3:]}
    if source == "woocommerce":
        return {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Signature": FORGED[3:]}
    return {"Saleor-Event": "order_fully_paid", "Saleor-Signature": "00" * 32}


def signed_headers(endpoint: InboundEndpoint, body: bytes) -> dict[str, str]:
    """Headers with a valid signature of ``body``, as each platform makes them."""
    if endpoint.source == "generic":
        return signed(endpoint.secret, body)
    if endpoint.source == "shopify":
        return shopify_headers(body, "orders/paid")
    if endpoint.source == "woocommerce":
        return wc_headers(body, "order.updated")
    signature = hmac.new(SALEOR_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Saleor-Event": "order_fully_paid", "Saleor-Signature": signature}


def send(client, url: str, body: bytes, headers: dict[str, str], ip: str = "198.51.100.7"):
    return client.post(
        url, data=body, content_type="application/json", headers=headers, REMOTE_ADDR=ip
    )


SOURCES = ["generic", "shopify", "woocommerce", "saleor"]


@pytest.mark.parametrize("source", SOURCES)
def test_an_unsigned_mebibyte_leaves_only_an_excerpt(client, program, source):
    # Given an endpoint, when a stranger posts 1 MiB with a forged signature
    make_endpoint(program, source)
    response = send(client, inbound_url(program, source), one_mib_of_json(), forged_headers(source))
    # Then it is refused, and what is kept is the reason and a short excerpt
    assert response.status_code == 401, response.content
    assert response["content-type"] == "application/problem+json"
    stored = InboundDelivery.objects.get()
    assert (stored.result, stored.reason, stored.body_truncated) == (
        Result.REFUSED,
        "bad_signature",
        True,
    )
    assert len(stored.body.encode()) <= EXCERPT_BYTES
    assert sum(len(k) + len(v) for k, v in stored.headers.items()) < 4096


def test_a_body_declared_over_the_limit_is_not_read(client, program, settings):
    settings.PARRAIN_WEBHOOKS = {"MAX_BODY_BYTES": 2048}
    generic = make_endpoint(program, "generic")
    body = b'{"pad":"' + b"x" * 5000 + b'"}'
    response = send(client, inbound_url(program, "generic"), body, signed(generic.secret, body))
    assert response.status_code == 413
    assert len(last_delivery().body) <= EXCERPT_BYTES


@pytest.mark.parametrize(
    "url",
    [
        "/webhooks/in/no-such-program/generic/",
        "/webhooks/in/boutique/magento/",
        "/webhooks/in/boutique/shopify/",  # the program exists, this source has no endpoint
    ],
)
def test_unknown_endpoint_is_a_plain_404_and_stores_nothing(client, program, url):
    make_endpoint(program, "generic")
    response = send(client, url, one_mib_of_json(), forged_headers("generic"))
    assert response.status_code == 404
    assert response["content-type"] == "application/problem+json"
    assert response.json()["reason"] == "unknown_endpoint"
    assert "delivery" not in response.json()
    assert not InboundDelivery.objects.exists()


def test_inactive_endpoint_is_unknown(client, program):
    make_endpoint(program, "shopify")
    InboundEndpoint.objects.update(is_active=False)
    response = send(client, inbound_url(program, "shopify"), b"{}", forged_headers("shopify"))
    assert response.status_code == 404
    assert not InboundDelivery.objects.exists()


def test_refusals_are_rate_limited_per_client_ip(client, program, settings):
    settings.PARRAIN_WEBHOOKS = {"REFUSALS_PER_IP": (3, 60)}
    generic = make_endpoint(program, "generic")
    url, body = inbound_url(program, "generic"), b'{"type": "customer.created", "data": {}}'
    # Given one IP that sent three forged deliveries (each refused and logged)
    for _ in range(3):
        assert send(client, url, body, forged_headers("generic")).status_code == 401
    # When it sends a fourth, then it is told to wait, and nothing more is stored
    response = send(client, url, body, forged_headers("generic"))
    assert response.status_code == 429
    assert response["content-type"] == "application/problem+json"
    assert int(response["Retry-After"]) in range(1, 61)
    assert InboundDelivery.objects.count() == 3
    # Unknown endpoints count too
    assert send(client, "/webhooks/in/nope/generic/", body, {}).status_code == 429
    # Another IP is still answered normally
    other = send(client, url, body, forged_headers("generic"), ip="203.0.113.9")
    assert other.status_code == 401
    # And the shop's own signed deliveries from the limited IP still go through
    event = json.dumps({"type": "customer.created", "data": {"email": "ok@example.net"}})
    good = send(client, url, event.encode(), signed(generic.secret, event.encode()))
    assert good.status_code == 200, good.content
    assert Contact.objects.filter(email="ok@example.net").exists()


def test_rate_limit_reads_the_client_ip_from_the_trusted_proxy_header(client, program, settings):
    settings.PARRAIN_WEBHOOKS = {"REFUSALS_PER_IP": (1, 60)}
    settings.PARRAIN_CLIENT_IP_HEADER = "X-Forwarded-For"
    make_endpoint(program, "generic")
    url = inbound_url(program, "generic")

    def forged_from(client_ip: str):
        headers = forged_headers("generic") | {"X-Forwarded-For": f"10.9.9.9, {client_ip}"}
        return send(client, url, b"{}", headers, ip="127.0.0.1")  # all through one proxy

    assert forged_from("198.51.100.1").status_code == 401
    assert forged_from("198.51.100.1").status_code == 429
    assert forged_from("198.51.100.2").status_code == 401


def nested(levels: int) -> bytes:
    return b'{"type": "order.paid", "data": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("source", SOURCES)
def test_deeply_nested_json_with_a_valid_signature_is_a_400(client, program, source):
    shop = make_endpoint(program, source)
    body = nested(1000)
    response = send(client, inbound_url(program, source), body, signed_headers(shop, body))
    assert response.status_code == 400, response.content
    assert response["content-type"] == "application/problem+json"
    assert response.json()["reason"] == "malformed_json"
    assert "64" in response.json()["detail"]


def test_nesting_just_past_the_limit_is_refused_and_at_it_read(client, program):
    generic = make_endpoint(program, "generic")
    url = inbound_url(program, "generic")
    # {"type":…, "data": […]} : the object is level 1, the lists start at level 2
    deep = nested(64)
    assert send(client, url, deep, signed(generic.secret, deep, "m1")).status_code == 400
    fits = nested(63)
    response = send(client, url, fits, signed(generic.secret, fits, "m2"))
    assert response.status_code == 422  # read, then refused by the order schema
    assert not Order.objects.exists()


def test_a_forged_saleor_jws_header_is_a_401_not_a_crash(client, program, receiver):
    cache.clear()
    endpoint(program, "saleor", saleor_api_url=f"{receiver.url}/graphql/")
    url = inbound_url(program, "saleor")

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    for header in (b"[" * 3000 + b"]" * 3000, b"[1]", b'{"alg": "RS256", "crit": 1}'):
        signature = f"{b64(header)}..{b64(b'sig')}"
        headers = {"Saleor-Event": "order_fully_paid", "Saleor-Signature": signature}
        response = send(client, url, b"{}", headers)
        assert response.status_code == 401, response.content
    assert receiver.requests == []
