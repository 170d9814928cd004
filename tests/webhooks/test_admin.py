"""The shop owner's view: the URL to paste, what came in, every attempt out, replay."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from parrain.plugins.generic_webhook.models import OutboundEndpoint
from parrain.plugins.generic_webhook.outbound.receivers import emit

from .conftest import endpoint
from .receiver import Answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return client


def test_inbound_endpoint_page_shows_the_url_to_paste(admin_client, program):
    shopify = endpoint(program, "shopify", secret="s")
    page = admin_client.get(
        reverse("admin:parrain_webhooks_inboundendpoint_change", args=[shopify.pk])
    )
    assert "https://shop.example/webhooks/in/boutique/shopify/" in page.content.decode()


def test_lists_render(admin_client, program):
    for model in ("inboundendpoint", "inbounddelivery", "outboundendpoint", "outboundmessage"):
        assert (
            admin_client.get(reverse(f"admin:parrain_webhooks_{model}_changelist")).status_code
            == 200
        )


def test_disabled_endpoint_shows_why_and_replay_resends(admin_client, program, receiver):
    hook = OutboundEndpoint.objects.create(program=program, url=f"{receiver.url}/hook")
    receiver.answers = [Answer(410)]
    message = emit(program, "reward.issued", {"id": 1})[0]
    from parrain.plugins.generic_webhook.tasks import deliver_message

    deliver_message(message.pk)
    listing = admin_client.get(reverse("admin:parrain_webhooks_outboundendpoint_changelist"))
    assert "410 Gone" in listing.content.decode()
    admin_client.post(
        reverse("admin:parrain_webhooks_outboundendpoint_changelist"),
        {"action": "enable_again", "_selected_action": [hook.pk]},
    )
    admin_client.post(
        reverse("admin:parrain_webhooks_outboundmessage_changelist"),
        {"action": "replay", "_selected_action": [message.pk]},
    )
    message.refresh_from_db()
    assert message.status == "delivered"
    assert [a.status_code for a in message.attempts.all()] == [410, 200]
    page = admin_client.get(
        reverse("admin:parrain_webhooks_outboundmessage_change", args=[message.pk])
    )
    assert page.status_code == 200 and "410" in page.content.decode()
