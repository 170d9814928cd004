"""Receivers of the core's signals other than the outbound events (``outbound/receivers.py``).

Connected in ``WebhooksConfig.ready()``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from parrain.core import signals
from parrain.core.erasure import PersonalData, scrub_rows
from parrain.core.models import Contact

from .models import InboundDelivery, OutboundAttempt, OutboundMessage


def on_contact_erased(sender: Any, contact: Contact, personal: PersonalData, **kwargs: Any) -> None:
    """Scrub the person out of what the webhooks stored: inbound bodies, excerpts and
    headers; outbound payloads and the answers of the shop's server (which may echo them).

    The rows stay: an inbound delivery id must keep refusing replays, and a message's
    history says what was sent when. Deliveries refused before their endpoint was known
    have no program and are searched too.
    """
    program = contact.program
    inbound = InboundDelivery.objects.filter(Q(endpoint__program=program) | Q(endpoint=None))
    scrub_rows(inbound, personal)
    pk = contact.pk
    about = (
        Q(payload__data__referrer__id=pk)
        | Q(payload__data__referee__id=pk)
        | Q(payload__data__recipient__id=pk)
        | Q(payload__data__contact__id=pk)  # badge and consent events
    )
    messages = OutboundMessage.objects.filter(endpoint__program=program)
    scrub_rows(messages, personal, about)
    attempts = OutboundAttempt.objects.filter(message__endpoint__program=program)
    scrub_rows(attempts, personal, Q(message__in=messages.filter(about)))


def connect() -> None:
    signals.contact_erased.connect(on_contact_erased, dispatch_uid="parrain_webhooks_erasure")
