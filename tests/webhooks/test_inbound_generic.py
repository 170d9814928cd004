"""Generic endpoint: Standard Webhooks signatures, made with the reference library."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from parrain.core.models import Contact, Order, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee
from parrain.plugins.generic_webhook.models import InboundDelivery, Result

from .conftest import endpoint, inbound_url, last_delivery, post

pytestmark = pytest.mark.django_db


def signed(secret: str, body: bytes, msg_id: str = "msg_1", at: datetime | None = None) -> dict:
    at = at or datetime.now(tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
    }


def event(type_: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"type": type_, "timestamp": "2026-11-26T10:00:00Z", "data": data}).encode()


@pytest.fixture
def generic(program):
    return endpoint(program, "generic")


def send(client, program, generic, body: bytes, **overrides: str):
    headers = signed(generic.secret, body, overrides.pop("msg_id", "msg_1"))
    headers.update(overrides)
    return post(client, inbound_url(program, "generic"), body, **headers)


def test_generic_endpoint_gets_a_standard_webhooks_secret(generic):
    assert generic.secret.startswith("whsec_")
    Webhook(generic.secret)  # the reference library accepts it
    assert base64.b64decode(generic.secret.removeprefix("whsec_"), validate=True)


def test_an_older_url_safe_secret_still_verifies(client, program):
    """Secrets made before they were standard base64 (URL-safe, unpadded) keep working."""
    key = bytes(range(250, 256)) * 5 + b"\xfb\xff"  # encodes with "-" and "_"
    old = "whsec_" + base64.urlsafe_b64encode(key).decode().rstrip("=")
    assert "-" in old or "_" in old
    endpoint(program, "generic", secret=old)
    body = event("customer.created", {"email": "carol@example.org"})
    standard = "whsec_" + base64.b64encode(key).decode()  # the same key, as the library wants
    response = post(client, inbound_url(program, "generic"), body, **signed(standard, body))
    assert response.status_code == 200, response.content
    assert Contact.objects.filter(email="carol@example.org").exists()


def test_order_paid_with_the_welcome_code_converts_the_referral(client, program, generic):
    # Given Alice refers Bob, who claimed his welcome code
    alice = enrol_referrer(program, "alice@example.com")
    welcome = register_referee(program, alice.code, "bob@example.org").reward
    # When the shop reports Bob's paid order with that code (in another case)
    body = event(
        "order.paid",
        {
            "external_id": "1001",
            "email": "bob@example.org",
            "amount": "80.00",
            "currency": "USD",
            "discount_codes": ["SUMMER", welcome.code.lower()],
        },
    )
    response = send(client, program, generic, body)
    # Then the order is recorded and attributed, and the delivery says so
    assert response.status_code == 200, response.content
    assert response.json()["reason"] == "order_attributed"
    order = Order.objects.get(program=program, external_id="1001")
    assert order.welcome_code == welcome.code
    referral = Referral.objects.get(referee__email="bob@example.org")
    assert referral.status == ReferralStatus.CONVERTED
    stored = last_delivery()
    assert (stored.result, stored.topic, stored.delivery_id) == (
        Result.ACCEPTED,
        "order.paid",
        "msg_1",
    )
    assert stored.headers["Webhook-Signature"] == "[removed]"
    assert json.loads(stored.body)["data"]["external_id"] == "1001"


def test_customer_created_creates_the_contact(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net", "external_id": "c-9"})
    assert send(client, program, generic, body).status_code == 200
    assert Contact.objects.get(program=program, external_id="c-9").email == "carla@example.net"


def test_refund_before_validation_cancels_the_referral(client, program, generic):
    alice = enrol_referrer(program, "alice@example.com")
    welcome = register_referee(program, alice.code, "bob@example.org").reward
    paid = event(
        "order.paid",
        {
            "external_id": "1001",
            "email": "bob@example.org",
            "amount": "80",
            "currency": "USD",
            "discount_codes": [welcome.code],
        },
    )
    send(client, program, generic, paid, msg_id="msg_paid")
    refund = event("order.refunded", {"order_external_id": "1001", "refund_external_id": "r1"})
    assert send(client, program, generic, refund, msg_id="msg_refund").status_code == 200
    assert Referral.objects.get().status == ReferralStatus.CANCELLED


def test_wrong_signature_is_refused_and_stored(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net"})
    response = send(
        client,
        program,
        generic,
        body,
        **{"webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
    )
    assert response.status_code == 401
    assert response["content-type"] == "application/problem+json"
    assert response.json()["reason"] == "bad_signature"
    assert not Contact.objects.filter(email="carla@example.net").exists()
    assert last_delivery().result == Result.REFUSED


def test_a_rotated_key_is_accepted_among_several_signatures(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net"})
    headers = signed(generic.secret, body)
    other = Webhook("whsec_" + "b" * 43 + "=")
    headers["webhook-signature"] = (
        other.sign("msg_1", datetime.now(tz=UTC), body.decode())
        + " "
        + headers["webhook-signature"]
    )
    assert post(client, inbound_url(program, "generic"), body, **headers).status_code == 200


def test_stale_timestamp_is_refused(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net"})
    old = datetime.now(tz=UTC) - timedelta(minutes=6)
    headers = signed(generic.secret, body, at=old)
    response = post(client, inbound_url(program, "generic"), body, **headers)
    assert response.status_code == 400
    assert response.json()["reason"] == "stale_timestamp"
    assert not Contact.objects.filter(email="carla@example.net").exists()


def test_future_dated_timestamp_outside_the_tolerance_is_refused(client, program, generic):
    # A replay signed for later must not pass because it is "not old": the tolerance is both ways
    body = event("customer.created", {"email": "carla@example.net"})
    ahead = datetime.now(tz=UTC) + timedelta(minutes=6)
    response = post(
        client, inbound_url(program, "generic"), body, **signed(generic.secret, body, at=ahead)
    )
    assert response.status_code == 400
    assert response.json()["reason"] == "stale_timestamp"
    assert not Contact.objects.filter(email="carla@example.net").exists()
    close = datetime.now(tz=UTC) + timedelta(minutes=4)
    response = post(
        client, inbound_url(program, "generic"), body, **signed(generic.secret, body, at=close)
    )
    assert response.status_code == 200


@pytest.mark.parametrize("version", ["v2", "v1a", "", "V1"])
def test_a_signature_under_another_version_than_v1_is_refused(client, program, generic, version):
    body = event("customer.created", {"email": "carla@example.net"})
    headers = signed(generic.secret, body)
    valid = headers["webhook-signature"].removeprefix("v1,")
    headers["webhook-signature"] = f"{version},{valid}"
    response = post(client, inbound_url(program, "generic"), body, **headers)
    assert response.status_code == 401
    assert response.json()["reason"] == "bad_signature"
    assert not Contact.objects.filter(email="carla@example.net").exists()


def test_duplicate_delivery_is_acknowledged_once(client, program, generic):
    body = event(
        "order.paid",
        {"external_id": "1001", "email": "x@example.org", "amount": "10", "currency": "USD"},
    )
    first = send(client, program, generic, body, msg_id="msg_dup")
    second = send(client, program, generic, body, msg_id="msg_dup")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["result"] == "duplicate"
    assert Order.objects.filter(external_id="1001").count() == 1
    results = list(InboundDelivery.objects.order_by("pk").values_list("result", flat=True))
    assert results == [Result.ACCEPTED, Result.DUPLICATE]


def test_a_repeat_is_found_by_the_claim_itself(client, program, generic):
    """No read of the delivery log comes before the claim (one round trip less a delivery,
    issue 16 §5); its unique indexes answer the repeat, and the transaction is not broken
    by an error: the handler never runs and the repeat is stored as a duplicate."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = event("customer.created", {"email": "carla@example.net"})
    send(client, program, generic, body, msg_id="msg_claim")
    with CaptureQueriesContext(connection) as queries:
        again = send(client, program, generic, body, msg_id="msg_claim")
    assert again.json()["result"] == "duplicate"
    on_log = [
        q["sql"].split()[0]
        for q in queries.captured_queries
        if q["sql"] and "parrain_webhooks_inbounddelivery" in q["sql"]
    ]
    assert on_log == ["INSERT", "INSERT"], on_log  # the claim that found it, the duplicate's row
    results = list(InboundDelivery.objects.order_by("pk").values_list("result", flat=True))
    assert results == [Result.ACCEPTED, Result.DUPLICATE]


def test_truncated_body_fails_the_signature(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net"})
    headers = signed(generic.secret, body)
    response = post(client, inbound_url(program, "generic"), body[:-7], **headers)
    assert response.status_code == 401


def test_signed_but_truncated_json_is_a_400(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net"})[:-7]
    response = send(client, program, generic, body)
    assert response.status_code == 400
    assert response.json()["reason"] == "malformed_json"
    assert last_delivery().body == body.decode()


def test_wrong_content_type_is_a_415(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net"})
    headers = signed(generic.secret, body)
    response = post(
        client, inbound_url(program, "generic"), body, content_type="text/plain", **headers
    )
    assert response.status_code == 415


def test_unknown_topic_is_acknowledged_and_logged(client, program, generic):
    response = send(client, program, generic, event("cart.abandoned", {"id": 3}))
    assert response.status_code == 200
    assert response.json() == {
        "result": "ignored",
        "reason": "unknown_topic",
        "delivery": last_delivery().pk,
    }
    assert last_delivery().topic == "cart.abandoned"


def test_body_over_the_limit_is_a_413(client, program, generic, settings):
    settings.PARRAIN_WEBHOOKS = {"MAX_BODY_BYTES": 2048}
    body = event("customer.created", {"email": "carla@example.net", "first_name": "x" * 3000})
    response = send(client, program, generic, body)
    assert response.status_code == 413
    stored = last_delivery()
    assert (stored.reason, stored.body_truncated, len(stored.body)) == (
        "body_too_large",
        True,
        256,  # an excerpt: nothing more of a body whose signature was never checked
    )


def test_invalid_payload_is_a_422_and_keeps_what_was_stored(client, program, generic):
    good = event(
        "order.paid",
        {"external_id": "1001", "email": "x@example.org", "amount": "10", "currency": "USD"},
    )
    send(client, program, generic, good, msg_id="msg_good")
    bad = event("order.paid", {"external_id": "1002", "amount": "-5", "currency": "USD"})
    response = send(client, program, generic, bad, msg_id="msg_bad")
    assert response.status_code == 422
    assert "amount" in response.json()["detail"]
    assert list(Order.objects.values_list("external_id", flat=True)) == ["1001"]


def test_currency_of_another_program_is_refused(client, program, generic):
    bad = event(
        "order.paid",
        {"external_id": "1", "email": "x@example.org", "amount": "10", "currency": "EUR"},
    )
    response = send(client, program, generic, bad)
    assert response.status_code == 422
    assert not Order.objects.exists()


def test_a_refused_delivery_id_can_be_sent_again_once_fixed(client, program, generic):
    bad = event(
        "order.paid",
        {"external_id": "1", "email": "x@example.org", "amount": "10", "currency": "EUR"},
    )
    assert send(client, program, generic, bad, msg_id="msg_x").status_code == 422
    good = event(
        "order.paid",
        {"external_id": "1", "email": "x@example.org", "amount": "10", "currency": "USD"},
    )
    assert send(client, program, generic, good, msg_id="msg_x").status_code == 200
    assert Order.objects.count() == 1


def test_unknown_program_or_source_is_a_404(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net"})
    assert post(client, "/webhooks/in/nope/generic/", body).status_code == 404
    assert post(client, inbound_url(program, "magento"), body).status_code == 404


def test_get_is_not_allowed(client, program, generic):
    assert client.get(inbound_url(program, "generic")).status_code == 405


def test_overlong_delivery_id_is_a_400_not_a_crash(client, program, generic):
    body = event("customer.created", {"email": "carla@example.net"})
    response = send(client, program, generic, body, msg_id="m" * 500)
    assert response.status_code == 400
    assert response.json()["reason"] == "bad_header"


def test_nul_bytes_in_the_body_are_refused_and_still_stored(client, program, generic):
    body = b'{"type": "customer.created", "data": {"email": "a\x00@example.net"}}'
    response = send(client, program, generic, body)
    assert response.status_code == 400
    assert "\ufffd" in last_delivery().body


def test_escaped_nul_in_a_field_is_a_400_and_stores_nothing(client, program, generic):
    body = event("customer.created", {"email": "ok@example.net", "first_name": "A\u0000B"})
    response = send(client, program, generic, body)
    assert response.status_code == 400
    assert not Contact.objects.filter(email="ok@example.net").exists()
    assert last_delivery().result == Result.REFUSED
