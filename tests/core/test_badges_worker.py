"""End to end on a real Celery worker consuming from Redis: a loyalty action → the worker
evaluates → the badge is held → the badge_awarded email is sent → the ``badge.awarded``
webhook reaches the shop's receiver."""

from __future__ import annotations

import pytest
from django.core import mail

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import BadgeHolding, LoyaltyKind
from parrain.plugins.generic_webhook.models import MessageStatus, OutboundEndpoint, OutboundMessage
from tests.core.test_celery_worker import redis_broker, redis_worker, wait_for  # noqa: F401
from tests.webhooks.receiver import running_receiver

from .badge_helpers import act, make_badge

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_loyalty_action_earns_a_badge_on_the_worker_with_email_and_webhook(
    redis_worker,  # noqa: F811
    settings,
) -> None:
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": True}  # the receiver is on loopback
    program = ProgramFactory(name="Maison Test")
    badge = make_badge(
        program, "Critic", {"kind": "action_count", "action_kind": "review", "threshold": 1}
    )
    contact = ContactFactory(program=program, language="en", email="carol@example.com")
    with running_receiver() as receiver:
        OutboundEndpoint.objects.create(program=program, url=f"{receiver.url}/hook")

        # When Carol posts a review (committed here; the evaluation task goes to Redis)
        act(contact, LoyaltyKind.REVIEW, points=5)

        # Then the worker awards the badge, emails her, and tells the shop
        assert wait_for(lambda: BadgeHolding.objects.filter(badge=badge).exists())
        assert wait_for(lambda: any(m.subject.endswith(": Critic") for m in mail.outbox))
        [message] = [m for m in mail.outbox if m.subject.endswith(": Critic")]
        assert message.to == ["carol@example.com"]
        assert "you earned the Critic badge" in message.body
        assert wait_for(
            lambda: OutboundMessage.objects.filter(
                event_type="badge.awarded", status=MessageStatus.DELIVERED
            ).exists()
        )
        [hook] = [r.json() for r in receiver.requests if r.json()["type"] == "badge.awarded"]
    assert hook["data"]["badge"]["id"] == badge.pk
    assert hook["data"]["contact"]["email"] == "carol@example.com"
    assert hook["data"]["values"] == {"action_count.review": "1"}
