"""The Django admin saves webhook endpoints through ``endpoints.py``, the service of the
management API: creating, changing, rotating and deleting each leave the service's audit
entry naming the staff user, a secret Parrain made is shown once after the creation, and
the service's refusals show on the form with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from parrain.core.models import AuditEvent, Program
from parrain.plugins.generic_webhook.models import InboundEndpoint, OutboundEndpoint

from .conftest import endpoint

pytestmark = pytest.mark.django_db
PUBLIC_URL = "https://93.184.215.14/hook"  # a public address: no DNS look-up


@pytest.fixture
def boss(client: Client) -> Client:
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def url(model: str, action: str, *args: Any) -> str:
    return reverse(f"admin:parrain_webhooks_{model}_{action}", args=args)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def audit(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def test_a_generic_inbound_endpoint_made_in_the_admin_is_audited_and_its_secret_shown_once(
    boss: Client, program: Program
) -> None:
    data = {"program": program.pk, "source": "generic", "saleor_api_url": "", "is_active": "on"}
    response = boss.post(url("inboundendpoint", "add"), data)
    assert response.status_code == 302
    hook = InboundEndpoint.objects.get()
    assert hook.secret.startswith("whsec_")
    event = audit("webhook_endpoint.created")
    assert (event.actor, event.data["endpoint"]) == ("boss", f"inbound {hook.pk}")
    shown = [text for text in messages_of(response) if hook.secret in text]
    assert len(shown) == 1 and "shown this once" in shown[0]
    following = boss.get(url("inboundendpoint", "change", hook.pk)).content.decode()
    assert following.count(hook.secret) == 1  # the message, on the page that follows
    again = boss.get(url("inboundendpoint", "change", hook.pk)).content.decode()
    assert hook.secret not in again


def test_a_platform_endpoint_without_its_secret_is_refused_on_the_form(
    boss: Client, program: Program
) -> None:
    data = {"program": program.pk, "source": "shopify", "saleor_api_url": "", "is_active": "on"}
    response = boss.post(url("inboundendpoint", "add"), data)
    assert response.status_code == 200
    assert "Paste the secret Shopify signs its webhooks with." in response.content.decode()
    assert not InboundEndpoint.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_outbound_endpoint_is_created_changed_rotated_and_deleted_through_the_service(
    boss: Client, program: Program
) -> None:
    data = {"program": program.pk, "url": PUBLIC_URL, "description": "", "is_active": "on"}
    response = boss.post(url("outboundendpoint", "add"), data)
    assert response.status_code == 302
    hook = OutboundEndpoint.objects.get()
    assert audit("webhook_endpoint.created").actor == "boss"
    assert any(hook.secret in text for text in messages_of(response))

    changed = {**data, "description": "CRM", "event_types": ["reward.issued"]}
    assert boss.post(url("outboundendpoint", "change", hook.pk), changed).status_code == 302
    event = audit("webhook_endpoint.changed")
    assert event.actor == "boss"
    assert "description" in event.data["fields"] and "event_types" in event.data["fields"]
    assert "url" not in event.data["fields"]

    old = hook.secret
    boss.get(reverse("admin:index"))  # the CSRF cookie, as the page has it
    rotate = reverse(
        "admin:parrain_webhooks_outboundendpoint_rotate_secret", args=[hook.pk, "secret"]
    )
    assert boss.post(rotate).status_code == 200
    hook.refresh_from_db()
    assert hook.secret != old and hook.secret_previous == old
    assert audit("secret.rotated").actor == "boss"

    assert boss.post(url("outboundendpoint", "delete", hook.pk), {"post": "yes"}).status_code == 302
    assert not OutboundEndpoint.objects.exists()
    event = audit("webhook_endpoint.deleted")
    assert (event.actor, event.data["endpoint"]) == ("boss", f"outbound {hook.pk}")


def test_a_new_secret_typed_on_the_page_is_a_rotation_and_the_same_one_changes_nothing(
    boss: Client, program: Program
) -> None:
    hook = endpoint(program, "generic")
    old = hook.secret
    data = {"program": program.pk, "source": "generic", "saleor_api_url": "", "is_active": "on"}
    same = {**data, "new_secret": old}
    assert boss.post(url("inboundendpoint", "change", hook.pk), same).status_code == 302
    assert not AuditEvent.objects.exists()

    new = "whsec_" + "c" * 43 + "="
    typed = {**data, "new_secret": new}
    assert boss.post(url("inboundendpoint", "change", hook.pk), typed).status_code == 302
    hook.refresh_from_db()
    assert (hook.secret, hook.secret_previous) == (new, old)
    assert audit("secret.rotated").actor == "boss"


def test_the_bulk_delete_action_deletes_through_the_service(boss: Client, program: Program) -> None:
    hooks = [endpoint(program, source, secret="x" * 20) for source in ("shopify", "woocommerce")]
    changelist = url("inboundendpoint", "changelist")
    selected = [hook.pk for hook in hooks]
    data = {"action": "delete_selected", "_selected_action": selected, "post": "yes"}
    assert boss.post(changelist, data).status_code == 302
    assert not InboundEndpoint.objects.exists()
    events = AuditEvent.objects.filter(action="webhook_endpoint.deleted")
    assert sorted(e.data["endpoint"] for e in events) == sorted(f"inbound {pk}" for pk in selected)
    assert {e.actor for e in events} == {"boss"}
