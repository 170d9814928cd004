"""The demo's message sent by the scenario: one invitation that a visitor finds in the outbox.

Used by ``parrain_demo`` after the 90 days are played (their messages went nowhere, as a
real shop's past does): Bruno, a referrer of the main program, invites his friend Léa with
a note, through the same service as the widget, so the program's scenario sends her the
invitation email now, with the demo's email backend (the outbox, sandbox/outbox.py).

Alice is left alone: the demo journey starts from her having referred nobody yet.
"""

from __future__ import annotations

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
