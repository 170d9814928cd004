"""The scenario's emails through a real SMTP server (aiosmtpd on loopback): the friend's
invitation carries the one-click unsubscribe headers, and using them stops the reminder."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parrain.core.factories import ProgramFactory
from parrain.core.messaging import engine
from parrain.core.models import Contact, ScheduledMessage
from parrain.core.models.choices import MessageKind, MessageRule, MessageStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def test_one_click_unsubscribe_from_the_invitation_stops_the_reminder(
    smtp_server, client, django_capture_on_commit_callbacks
) -> None:
    program = ProgramFactory(
        name="Maison Lumière",
        time_zone="Europe/Paris",
        legal_footer={"fr": "Maison Lumière SAS — RCS Lyon 123 456 789"},
    )
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=PARIS), tick=False):
        alice = enrol_referrer(
            program, "alice@example.com", first_name="Alice", language="fr", vouched=True
        )
        with django_capture_on_commit_callbacks(execute=True):
            invite_by_email(alice.contact, ["bob@example.org"], personal_message="À bientôt")

    [invitation] = smtp_server.wait_for(1)
    assert invitation.rcpt_tos == ["bob@example.org"]
    assert "Alice" in invitation.text and "À bientôt" in invitation.text
    assert "Maison Lumière SAS — RCS Lyon 123 456 789" in invitation.html
    assert invitation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = invitation["List-Unsubscribe"].strip("<>")

    # The mail client's one-click POST (RFC 8058): no cookie, no CSRF token.
    response = client.post(
        url.removeprefix("https://shop.example"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    friend = Contact.objects.get(program=program, email="bob@example.org")
    assert friend.unsubscribed_at is not None

    # Three days later the reminder is due: dropped, and nothing more reaches the server.
    with time_machine.travel(datetime(2026, 3, 5, 10, 30, tzinfo=PARIS), tick=False):
        engine.send_due()
    reminder = ScheduledMessage.objects.get(contact=friend, kind=MessageKind.FRIEND_REMINDER)
    assert reminder.status == MessageStatus.DROPPED
    assert reminder.reason == MessageRule.UNSUBSCRIBED
    assert len(smtp_server.messages) == 1
