"""The whole loop for a shop on another stack, with neither Oscar nor Wagtail installed:
customer created (webhook) → referrer enrolled → invitation → friend claims the welcome
code → order paid webhook with that code → converted → validated after the delay →
``reward.issued`` delivered to the shop's receiver and verified with standardwebhooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.validation import validate_due
from parrain.plugins.generic_webhook.models import InboundEndpoint, OutboundEndpoint
from tests.webhooks.receiver import running_receiver


def signed_post(client, url: str, secret: str, msg_id: str, event: dict):
    body = json.dumps(event)
    now = datetime.now(tz=UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body),
    }
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_oscar_and_wagtail_are_not_installed():
    assert not apps.is_installed("oscar")
    assert not apps.is_installed("wagtail")
    assert apps.is_installed("parrain.plugins.generic_webhook")


@pytest.mark.django_db(transaction=True)
def test_customer_to_reward_issued_over_webhooks(client):
    program = ProgramFactory(slug="maboutique", currency="EUR", validation_delay_days=14)
    _key, api_key = program.create_api_key("shop server")
    api = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
    inbound = InboundEndpoint.objects.create(program=program, source="generic")
    inbound_url = "/webhooks/in/maboutique/generic/"
    with running_receiver() as receiver:
        outbound = OutboundEndpoint.objects.create(program=program, url=f"{receiver.url}/parrain")

        # A customer is created in the shop: its webhook creates the contact.
        customer = {"email": "alice@example.com", "external_id": "cust-1", "first_name": "Alice"}
        response = signed_post(
            client,
            inbound_url,
            inbound.secret,
            "msg_c1",
            {"type": "customer.created", "timestamp": "2026-11-26T10:00:00Z", "data": customer},
        )
        assert response.status_code == 200, response.content
        assert Contact.objects.get(external_id="cust-1").email == "alice@example.com"

        # The shop enrols her as a referrer and she invites Bob (server API).
        enrolled = client.post(
            "/api/v1/programs/maboutique/referrers",
            data={"email": "alice@example.com"},
            content_type="application/json",
            **api,
        )
        assert enrolled.status_code == 201, enrolled.content
        code = enrolled.json()["code"]
        invited = client.post(
            "/api/v1/programs/maboutique/invitations",
            data={"referrer_code": code, "emails": ["bob@example.org"]},
            content_type="application/json",
            **api,
        )
        assert invited.json()["results"][0]["invited"] is True
        # Bob claims his welcome offer and gets a code.
        claimed = client.post(
            "/api/v1/programs/maboutique/registrations",
            data={"code": code, "email": "bob@example.org"},
            content_type="application/json",
            **api,
        )
        welcome_code = claimed.json()["welcome"]["code"]

        # Bob pays an order with the welcome code: the shop's order.paid webhook.
        order = {
            "external_id": "A-1001",
            "email": "bob@example.org",
            "amount": "80.00",
            "currency": "EUR",
            "discount_codes": [welcome_code],
        }
        response = signed_post(
            client,
            inbound_url,
            inbound.secret,
            "msg_o1",
            {"type": "order.paid", "timestamp": "2026-11-26T10:05:00Z", "data": order},
        )
        assert response.json()["reason"] == "order_attributed"
        referral = Referral.objects.get(referee__email="bob@example.org")
        assert referral.status == ReferralStatus.CONVERTED

        # Fifteen days later the sweep validates the referral; the referrer reward follows.
        assert validate_due(timezone.now() + timedelta(days=13)) == 0  # delay not passed yet
        assert validate_due(timezone.now() + timedelta(days=15)) == 1
        referral.refresh_from_db()
        assert referral.status == ReferralStatus.REWARDED

        # The shop's receiver got every step, signed; the last is Alice's reward with its code.
        events = [Webhook(outbound.secret).verify(r.body, r.headers) for r in receiver.requests]
    types = [e["type"] for e in events]
    assert types == [
        "referral.invited",
        "referral.registered",
        "reward.issued",  # Bob's welcome offer
        "referral.converted",
        "referral.validated",
        "reward.issued",  # Alice's referrer reward
        "referral.rewarded",
    ]
    reward = events[5]["data"]
    assert reward["side"] == "referrer"
    assert reward["recipient"]["email"] == "alice@example.com"
    assert reward["code"] and reward["code"] == referral.rewards.get(side="referrer").code
    assert (reward["kind"], reward["value"], reward["currency"]) == ("fixed_amount", "10.00", "EUR")
    assert any("alice@example.com" in m.to for m in mail.outbox)
