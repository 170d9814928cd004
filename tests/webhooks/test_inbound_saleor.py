"""Saleor: a detached RS256 JWS checked against the shop's JWKS (served on loopback), and the
legacy HMAC variant; Saleor's published payload shapes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.cache import cache
from django.utils import timezone

from parrain.core.models import Order, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee
from parrain.plugins.generic_webhook.models import Result

from .conftest import endpoint, fixture_bytes, fixture_json, inbound_url, last_delivery, post
from .receiver import Answer

pytestmark = pytest.mark.django_db


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SaleorKeys:
    def __init__(self, kid: str = "saleor-key-1") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict:
        numbers = self.private.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes(3, "big")),
        }

    def sign(self, body: bytes) -> str:
        """Detached JWS with an unencoded payload (RFC 7797), as Saleor sends it."""
        header = b64url(
            json.dumps({"alg": "RS256", "kid": self.kid, "b64": False, "crit": ["b64"]}).encode()
        )
        signature = self.private.sign(
            header.encode() + b"." + body, padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{header}..{b64url(signature)}"


@pytest.fixture(scope="module")
def keys():
    return SaleorKeys()


@pytest.fixture(scope="module")
def other_keys():
    return SaleorKeys(kid="saleor-key-1")


@pytest.fixture
def saleor_shop(receiver, keys):
    """The shop's JWKS on a local HTTP server."""
    cache.clear()
    receiver.handler = lambda request: (
        Answer(
            200, {"content-type": "application/json"}, json.dumps({"keys": [keys.jwk()]}).encode()
        )
        if request.path == "/.well-known/jwks.json"
        else None
    )
    return receiver


@pytest.fixture
def saleor(program, saleor_shop):
    return endpoint(program, "saleor", saleor_api_url=f"{saleor_shop.url}/graphql/")


def send(client, program, body: bytes, event: str, signature: str):
    return post(
        client,
        inbound_url(program, "saleor"),
        body,
        **{
            "Saleor-Event": event,
            "Saleor-Signature": signature,
            "Saleor-Domain": "shop.example",
            "Saleor-Api-Url": "https://shop.example/graphql/",
        },
    )


def test_order_fully_paid_subscription_payload_is_recorded(client, program, saleor, keys):
    body = fixture_bytes("saleor_order_fully_paid.json")
    response = send(client, program, body, "order_fully_paid", keys.sign(body))
    assert response.status_code == 200, response.content
    order = Order.objects.get()
    assert order.external_id == "T3JkZXI6NTdiNTBhNDAtYzRmYi00YjQzLWIxODgtM2JhZmRlMTc3MGQ5"
    assert order.amount == Decimal("213.00")
    assert order.contact.email == "adrian.king@example.com"


def test_voucher_code_attributes_the_order(client, program, saleor, keys):
    alice = enrol_referrer(program, "alice@example.com")
    welcome = register_referee(program, alice.code, "adrian.king@example.com").reward
    payload = fixture_json("saleor_order_fully_paid.json")
    payload["order"]["voucherCode"] = welcome.code
    payload["order"]["created"] = timezone.now().isoformat()
    body = json.dumps(payload).encode()
    response = send(client, program, body, "order_fully_paid", keys.sign(body))
    assert response.json()["reason"] == "order_attributed"
    assert Referral.objects.get().status == ReferralStatus.CONVERTED


def test_jwks_is_fetched_once_then_cached(client, program, saleor, keys, saleor_shop):
    paid = fixture_bytes("saleor_order_fully_paid.json")
    send(client, program, paid, "order_fully_paid", keys.sign(paid))
    refund = fixture_bytes("saleor_order_fully_paid.json")
    send(client, program, refund, "order_fully_refunded", keys.sign(refund))
    assert [r.path for r in saleor_shop.requests] == ["/.well-known/jwks.json"]
    assert Order.objects.get().refunded_amount == Decimal("213.00")


def test_rotated_key_is_fetched_again(client, program, saleor, keys, saleor_shop):
    body = fixture_bytes("saleor_order_fully_paid.json")
    send(client, program, body, "order_fully_paid", keys.sign(body))
    cache.delete(
        f"parrain_webhooks:jwks:{saleor_shop.url}/.well-known/jwks.json:fresh"
    )  # a minute later
    rotated = SaleorKeys(kid="saleor-key-2")
    saleor_shop.handler = lambda request: Answer(
        200, {"content-type": "application/json"}, json.dumps({"keys": [rotated.jwk()]}).encode()
    )
    refund = fixture_bytes("saleor_order_fully_paid.json")
    response = send(client, program, refund, "order_fully_refunded", rotated.sign(refund))
    assert response.status_code == 200
    assert len(saleor_shop.requests) == 2


def test_signature_by_another_key_is_refused(client, program, saleor, other_keys):
    body = fixture_bytes("saleor_order_fully_paid.json")
    response = send(client, program, body, "order_fully_paid", other_keys.sign(body))
    assert response.status_code == 401
    assert not Order.objects.exists()


def test_forged_key_ids_do_not_make_us_fetch_the_jwks_again_and_again(
    client, program, saleor, keys, saleor_shop
):
    body = fixture_bytes("saleor_order_fully_paid.json")
    send(client, program, body, "order_fully_paid", keys.sign(body))
    for n in range(3):
        forged = SaleorKeys(kid=f"forged-{n}")
        forged.private = keys.private
        assert send(client, program, body, "order_cancelled", forged.sign(body)).status_code == 401
    assert len(saleor_shop.requests) == 1


def test_truncated_body_is_refused(client, program, saleor, keys):
    body = fixture_bytes("saleor_order_fully_paid.json")
    response = send(client, program, body[:-30], "order_fully_paid", keys.sign(body))
    assert response.status_code == 401


def test_shop_unreachable_is_a_clear_503_problem(client, program, keys, allow_loopback):
    cache.clear()
    endpoint(program, "saleor", saleor_api_url="http://127.0.0.1:9/graphql/")
    body = fixture_bytes("saleor_order_fully_paid.json")
    response = send(client, program, body, "order_fully_paid", keys.sign(body))
    assert response.status_code == 503
    assert response.json()["reason"] == "jwks_unavailable"


def test_failing_jwks_is_not_asked_again_at_once_and_its_error_stays_private(
    client, program, keys, receiver, caplog
):
    # Given a shop whose JWKS URL fails
    receiver.default = Answer(500, body=b"Traceback: secret internals")
    endpoint(program, "saleor", saleor_api_url=f"{receiver.url}/graphql/")
    body = fixture_bytes("saleor_order_fully_paid.json")
    # When three deliveries arrive
    answers = [send(client, program, body, "order_fully_paid", keys.sign(body)) for _ in range(3)]
    # Then each is a 503 that names neither the URL nor the upstream error
    for response in answers:
        assert response.status_code == 503
        problem = response.json()
        assert problem["reason"] == "jwks_unavailable"
        assert receiver.url not in response.content.decode()
        assert "500" not in problem["detail"] and "Traceback" not in problem["detail"]
    # And the shop was asked once; the detail is in the server's log
    assert len(receiver.requests) == 1
    assert f"{receiver.url}/.well-known/jwks.json" in caplog.text
    assert "500" in caplog.text


def test_legacy_hmac_and_legacy_array_payload(client, program):
    endpoint(program, "saleor", secret="legacy-secret")
    order = fixture_json("saleor_legacy_order_payload_order_filter_shipping_methods.json")["order"]
    body = json.dumps([order]).encode()  # legacy async payloads are one-element arrays
    signature = hmac.new(b"legacy-secret", body, hashlib.sha256).hexdigest()
    response = send(client, program, body, "order_fully_paid", signature)
    assert response.status_code == 200, response.content
    recorded = Order.objects.get()
    assert (recorded.external_id, recorded.amount) == ("T3JkZXI6Mjkz", Decimal("0.00"))
    assert recorded.contact.email == "test@example.com"


def test_legacy_hmac_mismatch_is_refused(client, program):
    endpoint(program, "saleor", secret="legacy-secret")
    body = fixture_bytes("saleor_order_fully_paid.json")
    signature = hmac.new(b"other", body, hashlib.sha256).hexdigest()
    assert send(client, program, body, "order_fully_paid", signature).status_code == 401


def test_same_event_and_body_twice_is_a_duplicate(client, program, saleor, keys):
    body = fixture_bytes("saleor_order_fully_paid.json")
    send(client, program, body, "order_fully_paid", keys.sign(body))
    again = send(client, program, body, "order_fully_paid", keys.sign(body))
    assert again.json()["result"] == Result.DUPLICATE
    assert Order.objects.count() == 1


def test_minimal_subscription_without_total_is_acknowledged(client, program, saleor, keys):
    body = fixture_bytes("saleor_subscription_order_created_documented.json")
    response = send(client, program, body, "order_fully_paid", keys.sign(body))
    assert response.status_code == 200
    assert response.json()["reason"] == "order_total_missing"


def test_notify_user_event_is_acknowledged_as_unknown(client, program, saleor, keys):
    body = fixture_bytes("saleor_notify_order_confirmation.json")
    response = send(client, program, body, "notify_user", keys.sign(body))
    assert response.json()["reason"] == "unknown_topic"
    assert last_delivery().topic == "notify_user"


def test_wrong_content_type_is_refused(client, program, saleor, keys):
    body = fixture_bytes("saleor_order_fully_paid.json")
    response = client.post(
        inbound_url(program, "saleor"),
        data=body,
        content_type="text/plain",
        headers={"Saleor-Event": "order_fully_paid", "Saleor-Signature": keys.sign(body)},
    )
    assert response.status_code == 415


def test_issued_at_outside_the_tolerance_is_refused(client, program, saleor, keys):
    payload = fixture_json("saleor_order_fully_paid.json")
    payload["issuedAt"] = (timezone.now() - timedelta(days=3)).isoformat()
    body = json.dumps(payload).encode()
    response = send(client, program, body, "order_fully_paid", keys.sign(body))
    assert response.status_code == 400
    assert response.json()["reason"] == "stale_timestamp"
    assert not Order.objects.exists()
    payload["issuedAt"] = timezone.now().isoformat()
    body = json.dumps(payload).encode()
    assert send(client, program, body, "order_fully_paid", keys.sign(body)).status_code == 200
