"""The scenario through time (time-machine): what leaves, when, and what is held or dropped
with the rule that decided."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from parrain.core import signals
from parrain.core.factories import ProgramFactory
from parrain.core.messaging import engine
from parrain.core.models import AuditEvent, Contact, ScenarioStep, ScheduledMessage
from parrain.core.models.choices import (
    Audience,
    DelayUnit,
    MessageChannel,
    MessageKind,
    MessageRule,
    MessageStatus,
    Recipient,
    Trigger,
)
from parrain.core.services import scenarios
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def program():
    """A program with the default scenario (installed when it is created)."""
    return ProgramFactory(
        name="Maison Lumière",
        time_zone="Europe/Paris",
        quiet_hours_start=time(21, 0),
        quiet_hours_end=time(8, 0),
    )


@pytest.fixture
def bare(program):
    """The same program without its default steps: each test adds the ones it needs."""
    ScenarioStep.objects.filter(program=program).delete()
    scenarios.forget()
    return program


def invite(program, capture, *, friend: str = "bob@example.org") -> Contact:
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice", vouched=True)
    with capture(execute=True):
        invite_by_email(alice.contact, [friend])
    return Contact.objects.get(program=program, email=friend)


def reminder_of(friend: Contact) -> ScheduledMessage:
    return ScheduledMessage.objects.get(contact=friend, kind=MessageKind.FRIEND_REMINDER)


def due_run(at: datetime) -> engine.Counts:
    with time_machine.travel(at, tick=False):
        return engine.send_due()


def test_invitation_leaves_at_once_and_its_reminder_waits_three_days(
    program, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        friend = invite(program, django_capture_on_commit_callbacks)
    # The invitation (transactional) left after the commit, not at the next beat.
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    invitation = ScheduledMessage.objects.get(contact=friend, kind=MessageKind.INVITATION)
    assert invitation.status == MessageStatus.SENT and invitation.to == "bob@example.org"
    reminder = reminder_of(friend)
    assert reminder.status == MessageStatus.PENDING
    assert reminder.due_at == paris(2026, 3, 5, 10)

    # Nothing is due before three days.
    assert due_run(paris(2026, 3, 5, 9, 59)).handled == 0
    counts = due_run(paris(2026, 3, 5, 10, 1))
    assert counts.sent == 1
    assert [m.to for m in mail.outbox] == [["bob@example.org"]] * 2
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.SENT and reminder.delayed_by == ""


def test_reminder_is_dropped_when_the_friend_orders_meanwhile(
    program, django_capture_on_commit_callbacks
) -> None:
    # Given an invitation on Monday
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        friend = invite(program, django_capture_on_commit_callbacks)
    # When the friend orders two days later
    with time_machine.travel(paris(2026, 3, 4, 10), tick=False):
        record_order(
            program,
            OrderData(
                external_id="A-1", email="bob@example.org", amount=Decimal("40"), currency="EUR"
            ),
        )
    # Then at +3 days the reminder is dropped, with the condition that decided
    mail.outbox.clear()
    counts = due_run(paris(2026, 3, 5, 10, 1))
    assert counts.dropped == 1 and counts.sent == 0
    assert mail.outbox == []
    reminder = reminder_of(friend)
    assert reminder.status == MessageStatus.DROPPED
    assert reminder.reason == Audience.NOT_CONVERTED
    audit = AuditEvent.objects.get(action="message.dropped")
    assert audit.reason == "not_converted" and audit.contact_id == friend.pk


def test_replayed_trigger_schedules_each_message_once(
    program, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        friend = invite(program, django_capture_on_commit_callbacks)
    invitation = friend.invitations_received.get()
    people = {Recipient.FRIEND: friend, Recipient.REFERRER: invitation.referrer}
    with django_capture_on_commit_callbacks(execute=True):
        scenarios.fire(program, Trigger.INVITATION_SENT, subject=invitation, people=people)
    # The invitation and its reminder, stored and sent once
    assert ScheduledMessage.objects.filter(contact=friend).count() == 2
    assert len(mail.outbox) == 1


def _solicitation_step(program, **kwargs: Any) -> ScenarioStep:
    return scenarios.create_step(
        program,
        {
            "trigger": Trigger.BECAME_CUSTOMER,
            "kind": MessageKind.INCITATION,
            "recipient": Recipient.CONTACT,
            "delay_amount": 0,
            "delay_unit": DelayUnit.MINUTES,
            **kwargs,
        },
        actor="test",
    )


def _customer(program, email: str = "carol@example.com") -> Contact:
    return Contact.objects.create(program=program, email=email, first_name="Carol")


def _became_customer(program, contact: Contact) -> None:
    scenarios.fire(
        program,
        Trigger.BECAME_CUSTOMER,
        subject=contact,
        people={Recipient.CONTACT: contact},
    )


def test_quiet_hours_hold_a_solicitation_until_the_morning_in_the_program_zone(
    program,
) -> None:
    _solicitation_step(program)
    carol = _customer(program)
    # 22:30 in Paris (21:30 UTC): inside the quiet hours 21:00-08:00
    with time_machine.travel(paris(2026, 3, 2, 22, 30), tick=False):
        _became_customer(program, carol)
        counts = engine.send_due()
    assert counts.delayed == 1 and mail.outbox == []
    message = ScheduledMessage.objects.get(contact=carol)
    assert message.status == MessageStatus.PENDING
    assert message.delayed_by == MessageRule.QUIET_HOURS
    assert message.due_at == paris(2026, 3, 3, 8, 0)

    assert due_run(paris(2026, 3, 3, 7, 59)).handled == 0
    assert due_run(paris(2026, 3, 3, 8, 0)).sent == 1
    message.refresh_from_db()
    # Sent, and the history still says it was held by the quiet hours
    assert message.status == MessageStatus.SENT
    assert message.delayed_by == MessageRule.QUIET_HOURS
    assert [m.to for m in mail.outbox] == [["carol@example.com"]]


def test_quiet_hours_follow_the_program_zone_not_utc(program) -> None:
    program.time_zone = "America/New_York"
    program.save()
    _solicitation_step(program)
    carol = _customer(program)
    # 22:30 in Paris is 16:30 in New York: the shop's day, it leaves.
    with time_machine.travel(paris(2026, 3, 2, 22, 30), tick=False):
        _became_customer(program, carol)
        assert engine.send_due().sent == 1


def test_transactional_messages_ignore_quiet_hours(
    program, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(paris(2026, 3, 2, 23, 30), tick=False):
        invite(program, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]


def test_pressure_cap_delays_the_next_solicitation_until_the_week_frees(bare) -> None:
    program = bare
    program.messages_per_week = 1
    program.min_gap_hours = 0
    program.save()
    _solicitation_step(program)
    scenarios.create_step(
        program,
        {
            "trigger": Trigger.ORDER_PLACED,
            "kind": MessageKind.REVIEW_REQUEST,
            "recipient": Recipient.CONTACT,
            "delay_amount": 1,
            "delay_unit": DelayUnit.DAYS,
        },
        actor="test",
    )
    carol = _customer(program)
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        record_order(
            program,
            OrderData(
                external_id="C-1", email="carol@example.com", amount=Decimal("20"), currency="EUR"
            ),
        )
        # became_customer → incitation now; order_placed → review request tomorrow
        assert engine.send_due().sent == 1
    counts = due_run(paris(2026, 3, 3, 10, 5))
    assert counts.delayed == 1 and counts.sent == 0
    review = ScheduledMessage.objects.get(contact=carol, kind=MessageKind.REVIEW_REQUEST)
    assert review.delayed_by == MessageRule.PRESSURE_CAP
    assert review.due_at == paris(2026, 3, 9, 10)  # a week after the incitation
    assert due_run(paris(2026, 3, 9, 10, 1)).sent == 1
    assert len(mail.outbox) == 2


def test_pressure_cap_drops_a_solicitation_held_too_long(program) -> None:
    program.messages_per_week = 1
    program.min_gap_hours = 0
    program.save()
    step = _solicitation_step(program)
    carol = _customer(program)
    # A solicitation sent yesterday, and one due that was first due ten days ago
    now = paris(2026, 3, 12, 10)
    ScheduledMessage.objects.create(
        program=program,
        contact=carol,
        kind=MessageKind.INCITATION,
        channel=MessageChannel.EMAIL,
        dedupe_key="earlier",
        due_at=now - timedelta(days=1),
        sent_at=now - timedelta(days=1),
        status=MessageStatus.SENT,
    )
    late = ScheduledMessage.objects.create(
        program=program,
        step=step,
        contact=carol,
        kind=MessageKind.INCITATION,
        channel=MessageChannel.EMAIL,
        dedupe_key="late",
        created_at=now - timedelta(days=10),
        due_at=now,
    )
    assert due_run(now).dropped == 1
    late.refresh_from_db()
    assert late.status == MessageStatus.DROPPED and late.reason == MessageRule.PRESSURE_CAP


def test_minimum_gap_after_any_message(program, django_capture_on_commit_callbacks) -> None:
    program.min_gap_hours = 3
    program.save()
    _solicitation_step(program)
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        bob = invite(program, django_capture_on_commit_callbacks)  # invitation sent at 10:00
    with time_machine.travel(paris(2026, 3, 2, 11), tick=False):
        _became_customer(program, bob)
        assert engine.send_due().delayed == 1
    incitation = ScheduledMessage.objects.get(contact=bob, kind=MessageKind.INCITATION)
    assert incitation.delayed_by == MessageRule.MIN_GAP
    assert incitation.due_at == paris(2026, 3, 2, 13)
    assert due_run(paris(2026, 3, 2, 13)).sent == 1


def test_rules_add_up_minimum_gap_then_quiet_hours(
    program, django_capture_on_commit_callbacks
) -> None:
    program.min_gap_hours = 12
    program.save()
    _solicitation_step(program)
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        bob = invite(program, django_capture_on_commit_callbacks)
    with time_machine.travel(paris(2026, 3, 2, 11), tick=False):
        _became_customer(program, bob)
        engine.send_due()
    # 22:00 after the gap falls in the quiet hours: the morning after, said as such
    incitation = ScheduledMessage.objects.get(contact=bob, kind=MessageKind.INCITATION)
    assert incitation.due_at == paris(2026, 3, 3, 8)
    assert incitation.delayed_by == MessageRule.QUIET_HOURS


def test_two_solicitations_of_one_batch_keep_the_gap_between_them(program) -> None:
    program.min_gap_hours = 6
    program.save()
    _solicitation_step(program)
    _solicitation_step(program, kind=MessageKind.REVIEW_REQUEST)
    carol = _customer(program)
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        _became_customer(program, carol)
        counts = engine.send_due()
    assert (counts.sent, counts.delayed) == (1, 1)
    held = ScheduledMessage.objects.get(contact=carol, status=MessageStatus.PENDING)
    assert held.delayed_by == MessageRule.MIN_GAP and held.due_at == paris(2026, 3, 2, 16)


def test_switching_a_step_off_drops_its_waiting_messages(
    program, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        friend = invite(program, django_capture_on_commit_callbacks)
    reminder = reminder_of(friend)
    scenarios.update_step(reminder.step, {"is_active": False}, actor="owner")
    reminder.refresh_from_db()
    assert reminder.status == MessageStatus.DROPPED and reminder.reason == MessageRule.STEP_OFF
    event = AuditEvent.objects.get(action="scenario.step_updated")
    assert event.actor == "owner" and event.data["dropped"] == 1
    assert due_run(paris(2026, 3, 6, 10)).handled == 0


def test_a_step_switched_off_in_another_process_never_sends(
    program, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        friend = invite(program, django_capture_on_commit_callbacks)
    # Another process wrote the step (no service call here): the engine reads it at sending
    ScenarioStep.objects.filter(pk=reminder_of(friend).step_id).update(is_active=False)
    assert due_run(paris(2026, 3, 5, 11)).dropped == 1
    assert reminder_of(friend).reason == MessageRule.STEP_OFF


def test_unsubscribing_drops_the_next_step(program, django_capture_on_commit_callbacks) -> None:
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        friend = invite(program, django_capture_on_commit_callbacks)
    Contact.objects.filter(pk=friend.pk).update(unsubscribed_at=paris(2026, 3, 3, 10))
    assert due_run(paris(2026, 3, 5, 11)).dropped == 1
    assert reminder_of(friend).reason == MessageRule.UNSUBSCRIBED


def test_sms_step_without_consent_is_dropped_with_the_reason(program) -> None:
    _solicitation_step(program, channel=MessageChannel.SMS)
    carol = _customer(program)
    Contact.objects.filter(pk=carol.pk).update(phone="+33612345678")
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        _became_customer(program, carol)
        assert engine.send_due().dropped == 1
    message = ScheduledMessage.objects.get(contact=carol)
    assert message.reason == MessageRule.NO_CONSENT


def test_status_changes_are_signalled(program, django_capture_on_commit_callbacks) -> None:
    seen: list[tuple[str, str]] = []

    def receiver(sender: Any, message: ScheduledMessage, old_status: str, **kw: Any) -> None:
        seen.append((message.kind, message.status))

    signals.message_status_changed.connect(receiver)
    try:
        with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
            invite(program, django_capture_on_commit_callbacks)
    finally:
        signals.message_status_changed.disconnect(receiver)
    assert seen == [(MessageKind.INVITATION, MessageStatus.SENT)]


def test_a_temporary_transport_error_is_retried_with_backoff_then_sent(
    program, monkeypatch
) -> None:
    _solicitation_step(program)
    carol = _customer(program)
    calls = []
    real = engine.Batch._transmit

    def flaky(self, message, composed):  # the mail server is away once
        calls.append(message.pk)
        if len(calls) == 1:
            raise ConnectionRefusedError("mail server away")
        return real(self, message, composed)

    monkeypatch.setattr(engine.Batch, "_transmit", flaky)
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        _became_customer(program, carol)
        assert engine.send_due().retried == 1
    message = ScheduledMessage.objects.get(contact=carol)
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    assert message.due_at == paris(2026, 3, 2, 10, 1)
    assert "mail server away" in message.error
    assert due_run(paris(2026, 3, 2, 10, 1)).sent == 1
    assert len(mail.outbox) == 1


def test_a_lasting_transport_error_fails_after_max_attempts(program, monkeypatch) -> None:
    _solicitation_step(program)
    carol = _customer(program)

    def down(self, message, composed):
        raise TimeoutError("timed out")

    monkeypatch.setattr(engine.Batch, "_transmit", down)
    at = paris(2026, 3, 2, 10)
    with time_machine.travel(at, tick=False):
        _became_customer(program, carol)
    for _ in range(engine.MAX_ATTEMPTS):
        due_run(at)
        at = ScheduledMessage.objects.get(contact=carol).due_at
    message = ScheduledMessage.objects.get(contact=carol)
    assert message.status == MessageStatus.FAILED
    assert message.reason == MessageRule.TRANSPORT_ERROR
    assert message.attempts == engine.MAX_ATTEMPTS
    assert AuditEvent.objects.filter(action="message.failed", reason="transport_error").exists()


def test_a_template_that_fails_at_sending_fails_at_once_with_the_reason(
    program, monkeypatch
) -> None:
    from parrain.core.messaging import templates
    from parrain.core.messaging.render import RenderError

    _solicitation_step(program)
    carol = _customer(program)

    def broken(message):
        raise RenderError("line 3: division by zero")

    monkeypatch.setattr(templates, "compose", broken)
    with time_machine.travel(paris(2026, 3, 2, 10), tick=False):
        _became_customer(program, carol)
        assert engine.send_due().failed == 1
    message = ScheduledMessage.objects.get(contact=carol)
    assert message.status == MessageStatus.FAILED
    assert message.reason == MessageRule.RENDER_ERROR
    assert message.error == "line 3: division by zero"
    assert mail.outbox == []


def test_quiet_hours_inside_one_day(program) -> None:
    program.quiet_hours_start, program.quiet_hours_end = time(12, 0), time(14, 0)
    assert engine.end_of_quiet_hours(program, paris(2026, 3, 2, 13)) == paris(2026, 3, 2, 14)
    assert engine.end_of_quiet_hours(program, paris(2026, 3, 2, 14)) is None
    program.quiet_hours_start = program.quiet_hours_end = None
    assert engine.end_of_quiet_hours(program, paris(2026, 3, 2, 23)) is None
