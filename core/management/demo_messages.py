"""The demo's messages: the history's settled, and one invitation a visitor finds in the outbox.

Used by ``parrain_demo`` after the 90 days are played. Their messages went nowhere (as a
real shop's past does): ``settle_history`` has the engine handle the ones already due, so
the scenario shows sent and dropped messages (a reminder to a friend who ordered since)
rather than a backlog that a Celery worker would send to the outbox. Then Bruno, a
referrer of the main program, invites his friend Léa with a note, through the same service
as the widget, so the program's scenario sends her the invitation email now, with the
demo's email backend (the outbox, sandbox/outbox.py).

Alice is left alone: the demo journey starts from her having referred nobody yet.
"""

from __future__ import annotations

from parrain.core.messaging.engine import BATCH, Counts, send_due
from parrain.core.models import Program
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email

REFERRER = ("bruno@example.com", "Bruno")
FRIEND = "lea@example.net"
NOTE = {
    "fr": "Je pense que leurs lampes vont te plaire !",
    "en": "I think you will love their lamps!",
}


def send_showcase_invitation(program: Program) -> str:
    """Bruno invites Léa; returns her address."""
    email, first_name = REFERRER
    referrer = enrol_referrer(program, email, first_name=first_name, actor="demo", vouched=True)
    note = NOTE.get(program.default_language, NOTE["en"])
    invite_by_email(referrer.contact, [FRIEND], personal_message=note)
    return FRIEND


def settle_history() -> Counts:
    """The messages due by now, handled as the periodic task would (the demo runs none)."""
    total = Counts()
    while True:
        counts = send_due(limit=BATCH)
        total.add(counts)
        if counts.handled < BATCH:
            return total
