"""SMS through the scenario queue, to a real HTTP provider on loopback: a 500 is retried and
the SMS sent exactly once, a 400 fails the message with the provider's reason, and a contact
who never agreed to SMS (or replied STOP) gets none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.messaging import engine
from parrain.core.models import AuditEvent, ScenarioStep, ScheduledMessage
from parrain.core.models.choices import (
    MessageChannel,
    MessageKind,
    MessageRule,
    MessageStatus,
    Recipient,
    Trigger,
)
from parrain.core.services import scenarios
from tests.sms_provider import Answer, Provider, http_sms_settings, sms_provider  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings, sms_provider: Provider) -> Provider:  # noqa: F811
    settings.PARRAIN_SMS = http_sms_settings(sms_provider)
    return sms_provider


@pytest.fixture
def step() -> ScenarioStep:
    """A program whose only step texts a new customer an invitation to refer, at once, with
    no pressure rule in the way (the rules are the engine's tests)."""
    program = ProgramFactory(
        name="Maison Lumière",
        quiet_hours_start=None,
        quiet_hours_end=None,
        min_gap_hours=0,
        messages_per_week=0,
    )
    ScenarioStep.objects.filter(program=program).delete()
    scenarios.forget()
    return ScenarioStep.objects.create(
        program=program,
        trigger=Trigger.BECAME_CUSTOMER,
        delay_amount=0,
        channel=MessageChannel.SMS,
        kind=MessageKind.INCITATION,
        recipient=Recipient.CONTACT,
    )


def schedule(step: ScenarioStep, **contact_fields) -> ScheduledMessage:
    fields = {"phone": "+33612345678", "sms_consent": True, "language": "fr", **contact_fields}
    contact = ContactFactory(program=step.program, first_name="Zoé", **fields)
    scenarios.fire(
        step.program, Trigger.BECAME_CUSTOMER, subject=contact, people={"contact": contact}
    )
    return ScheduledMessage.objects.get(contact=contact, step=step)


def test_a_server_error_is_retried_and_the_sms_sent_exactly_once(
    step: ScenarioStep, provider: Provider
) -> None:
    message = schedule(step)
    provider.answer(Answer(500, {"error": "try later"}), Answer(200, {"id": "sms-42"}))
    start = timezone.now()

    # Given the provider fails once, the message waits for a retry.
    counts = engine.send_due(now=start)
    assert (counts.retried, counts.sent) == (1, 0)
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    assert message.due_at > start and "500" in message.error

    # Not before its new time...
    assert engine.send_due(now=start + timedelta(seconds=30)).handled == 0
    # ...then it leaves, once.
    assert engine.send_due(now=start + timedelta(minutes=5)).sent == 1
    assert engine.send_due(now=start + timedelta(hours=2)).handled == 0

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_id == "sms-42" and message.to == "+33612345678"
    assert [r.answered for r in provider.received] == [500, 200]
    [accepted] = provider.accepted()
    assert accepted.headers["Authorization"] == "Bearer provider-key"
    assert accepted.body["recipient"] == "+33612345678"
    assert accepted.body["from"] == "Lumiere"
    text = accepted.body["message"]["text"]
    assert "Zoé" in text or "Maison Lumière" in text  # the rendered template, variables in
    assert "{{" not in text


def test_a_refusal_fails_the_message_with_the_providers_reason(
    step: ScenarioStep, provider: Provider
) -> None:
    message = schedule(step)
    provider.answer(Answer(400, {"error": "Destination number is not a mobile"}))
    counts = engine.send_due(now=timezone.now())
    assert counts.failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.reason == MessageRule.TRANSPORT_ERROR
    assert "Destination number is not a mobile" in message.error
    assert len(provider.received) == 1  # not retried
    event = AuditEvent.objects.get(action="message.failed")
    assert "not a mobile" in event.data["error"]


@pytest.mark.parametrize("consent", [None, False])
def test_no_sms_without_sms_consent(step: ScenarioStep, provider: Provider, consent) -> None:
    message = schedule(step, sms_consent=consent, consent_recontact=True)
    counts = engine.send_due(now=timezone.now())
    assert counts.dropped == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DROPPED
    assert message.reason == MessageRule.NO_CONSENT
    assert provider.received == []


def test_no_sms_after_a_stop_reply(step: ScenarioStep, provider: Provider) -> None:
    message = schedule(step, sms_unsubscribed_at=timezone.now())
    engine.send_due(now=timezone.now())
    message.refresh_from_db()
    assert (message.status, message.reason) == (MessageStatus.DROPPED, MessageRule.UNSUBSCRIBED)
    assert provider.received == []
