"""Endpoint signing secrets: shown masked to users who may change the endpoint, revealed and
rotated by an audited POST, the previous secret accepted only during the grace period, and
never usable as the program's identity secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from parrain.core.identity import InvalidIdentity, sign_identity, verify_identity
from parrain.core.models import AuditEvent, Program
from parrain.core.rotation import masked
from parrain.plugins.generic_webhook.admin import InboundEndpointForm, OutboundEndpointForm
from parrain.plugins.generic_webhook.models import InboundEndpoint, OutboundEndpoint
from parrain.plugins.generic_webhook.outbound import delivery
from parrain.plugins.generic_webhook.outbound.receivers import emit
from parrain.plugins.generic_webhook.tasks import deliver_message

from .conftest import endpoint, inbound_url, post

pytestmark = pytest.mark.django_db

GRACE = timedelta(hours=24)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _grace(settings: Any) -> None:
    settings.PARRAIN_SECRET_ROTATION_GRACE = GRACE


def staff(client: Client, *codenames: str) -> Client:
    user = get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def change_page(client: Client, hook: InboundEndpoint | OutboundEndpoint) -> str:
    name = type(hook)._meta.model_name
    response = client.get(reverse(f"admin:parrain_webhooks_{name}_change", args=[hook.pk]))
    assert response.status_code == 200
    return response.content.decode()


def secret_url(hook: InboundEndpoint | OutboundEndpoint, action: str) -> str:
    name = type(hook)._meta.model_name
    return reverse(f"admin:parrain_webhooks_{name}_{action}_secret", args=[hook.pk, "secret"])


def csrf_post(client: Client, url: str, data: dict | None = None) -> Any:
    """A POST as the admin page makes it, with the CSRF token of the signed-in session."""
    if "csrftoken" not in client.cookies:
        client.get(reverse("admin:index"))
    return client.post(
        url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, **(data or {})}
    )


def standard_headers(secret: str, body: bytes, msg_id: str) -> dict[str, str]:
    now = timezone.now()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
    }


def order_paid(external_id: str) -> bytes:
    data = {
        "external_id": external_id,
        "email": "zoe@example.org",
        "amount": "30",
        "currency": "USD",
    }
    return json.dumps({"type": "order.paid", "data": data}).encode()


# Who sees what


def test_view_only_staff_see_neither_the_secret_nor_the_reveal_action(client, program):
    inbound = endpoint(program, "generic")
    outbound = OutboundEndpoint.objects.create(program=program, url="https://shop.example/hook")
    viewer = staff(client, "view_inboundendpoint", "view_outboundendpoint")
    for hook in (inbound, outbound):
        page = change_page(viewer, hook)
        assert hook.secret not in page
        assert hook.secret[:10] not in page  # not even its masked start
        assert "Reveal and copy" not in page and "data-parrain-reveal" not in page
        assert csrf_post(viewer, secret_url(hook, "reveal")).status_code == 403
        assert csrf_post(viewer, secret_url(hook, "rotate")).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="secret.").exists()
    assert InboundEndpoint.objects.get().secret == inbound.secret


def test_change_staff_see_the_secret_masked_and_reveal_it_with_an_audit_entry(client, program):
    hook = endpoint(program, "generic")
    editor = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    staff(editor, "view_inboundendpoint", "change_inboundendpoint")
    page = change_page(editor, hook)
    assert hook.secret not in page
    assert masked(hook.secret) in page and masked(hook.secret).startswith("whsec_")
    assert "Reveal and copy" in page and secret_url(hook, "reveal") in page

    assert editor.get(secret_url(hook, "reveal")).status_code == 405
    assert editor.post(secret_url(hook, "reveal")).status_code == 403  # no CSRF token
    assert not AuditEvent.objects.exists()

    response = csrf_post(editor, secret_url(hook, "reveal"))
    assert response.status_code == 200 and response.json() == {"secret": hook.secret}
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.program) == ("secret.revealed", "staff", program)
    assert event.data["secret"] == f"parrain_webhooks.inboundendpoint {hook.pk} secret"


def test_a_platform_secret_is_typed_never_shown_back_and_has_no_rotate_button(client, program):
    hook = endpoint(program, "shopify", secret="shpss_0123456789abcdef0123456789abcdef")
    editor = staff(client, "view_inboundendpoint", "change_inboundendpoint")
    page = change_page(editor, hook)
    assert hook.secret not in page and "shpss_0123" in page
    assert "data-parrain-rotate" not in page
    assert csrf_post(editor, secret_url(hook, "rotate")).status_code == 404


# Rotation


def test_generic_inbound_accepts_the_old_secret_until_the_grace_ends(client, program):
    with time_machine.travel(START) as clock:
        hook = endpoint(program, "generic")
        old = hook.secret
        editor = staff(client, "view_inboundendpoint", "change_inboundendpoint")
        assert csrf_post(editor, secret_url(hook, "rotate")).status_code == 200
        hook.refresh_from_db()
        assert hook.secret != old and hook.secret.startswith("whsec_")
        rotation = AuditEvent.objects.get(action="secret.rotated")
        assert rotation.actor == "staff" and old not in json.dumps(rotation.data)
        url = inbound_url(program, "generic")

        for n, secret in enumerate((old, hook.secret)):
            body = order_paid(f"during-{n}")
            response = post(client, url, body, **standard_headers(secret, body, f"msg_{n}"))
            assert response.status_code == 200, response.content

        clock.shift(GRACE + timedelta(seconds=1))
        body = order_paid("after")
        refused = post(client, url, body, **standard_headers(old, body, "msg_after_old"))
        assert refused.status_code == 401
        accepted = post(client, url, body, **standard_headers(hook.secret, body, "msg_after"))
        assert accepted.status_code == 200


def shopify_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize("source", ["shopify", "woocommerce", "saleor"])
def test_platform_secret_typed_anew_keeps_the_old_one_during_the_grace(client, program, source):
    old, new = f"{source}-old-secret-1234", f"{source}-new-secret-5678"
    with time_machine.travel(START) as clock:
        hook = endpoint(program, source, secret=old)
        editor = staff(client, "view_inboundendpoint", "change_inboundendpoint")
        form = {"program": program.pk, "source": source, "new_secret": new, "is_active": "on"}
        name = "admin:parrain_webhooks_inboundendpoint_change"
        assert csrf_post(editor, reverse(name, args=[hook.pk]), form).status_code == 302
        hook.refresh_from_db()
        assert (hook.secret, hook.secret_previous) == (new, old)
        assert AuditEvent.objects.filter(action="secret.rotated", actor="staff").count() == 1

        assert _platform_accepts(client, program, source, old, "1")
        assert _platform_accepts(client, program, source, new, "2")
        clock.shift(GRACE + timedelta(seconds=1))
        assert not _platform_accepts(client, program, source, old, "3")
        assert _platform_accepts(client, program, source, new, "4")


def _platform_accepts(client: Client, program: Program, source: str, secret: str, n: str) -> bool:
    url = inbound_url(program, source)
    if source == "shopify":
        body = json.dumps({"id": int(n), "email": "zoe@example.org"}).encode()
        headers = {
            "X-Shopify-Topic": "customers/create",
            "X-Shopify-Hmac-Sha256": shopify_signature(secret, body),
            "X-Shopify-Webhook-Id": f"wh-{n}",
        }
    elif source == "woocommerce":
        body = json.dumps({"id": int(n), "email": "zoe@example.org"}).encode()
        headers = {
            "X-WC-Webhook-Topic": "customer.created",
            "X-WC-Webhook-Signature": shopify_signature(secret, body),
            "X-WC-Webhook-Delivery-ID": f"d-{n}",
        }
    else:
        issued = timezone.now().isoformat()
        body = json.dumps({"issued_at": issued, "user": {"email": f"z{n}@example.org"}}).encode()
        headers = {
            "Saleor-Event": "customer_created",
            "Saleor-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        }
    response = post(client, url, body, **headers)
    assert response.status_code in (200, 202, 401), response.content
    return response.status_code != 401


def test_outbound_messages_carry_both_signatures_during_the_grace(program, receiver):
    hook = OutboundEndpoint.objects.create(program=program, url=f"{receiver.url}/hook")
    old = hook.secret
    from parrain.core.services.secrets import rotate_secret

    hook = rotate_secret(program, hook, "secret", "whsec_" + "b" * 43 + "=", actor="owner")
    message = emit(program, "reward.issued", {"id": 1})[0]
    deliver_message(message.pk)
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, hook.secret):  # the receiver verifies with either of its secrets
        assert Webhook(secret).verify(request.body, request.headers)["data"] == {"id": 1}

    with time_machine.travel(timezone.now() + GRACE + timedelta(seconds=1)):
        message.refresh_from_db()
        headers = delivery.signed_headers(message, timezone.now())
        body = delivery.body_of(message)
        assert len(headers["webhook-signature"].split(" ")) == 1
        Webhook(hook.secret).verify(body, headers)
        with pytest.raises(Exception, match="signature"):
            Webhook(old).verify(body, headers)


# Never the same material as the identity secret


def test_a_token_signed_with_an_endpoint_secret_is_refused_as_an_identity_token(program):
    inbound = endpoint(program, "generic")
    outbound = OutboundEndpoint.objects.create(program=program, url="https://shop.example/hook")
    for secret in (inbound.secret, outbound.secret):
        # What someone holding only the webhook secret could sign
        forger = Program(public_key=program.public_key, identity_secret=secret)
        token = sign_identity(forger, "victim@example.com")
        with pytest.raises(InvalidIdentity, match="signature"):
            verify_identity(program, token)
    assert verify_identity(program, sign_identity(program, "a@example.com"))


def test_the_program_identity_secret_cannot_become_a_webhook_secret(program):
    for form_class, data in (
        (InboundEndpointForm, {"source": "shopify"}),
        (OutboundEndpointForm, {"url": "https://93.184.215.14/hook"}),
    ):
        data = {**data, "program": program.pk, "new_secret": program.identity_secret}
        form = form_class(data=data)
        assert not form.is_valid() and "new_secret" in form.errors
