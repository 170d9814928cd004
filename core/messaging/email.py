"""An email from a ``Composed`` message (helper: templates).

Contract:
- ``email_message(composed, *, sender=None, connection=None) -> EmailMultiAlternatives``: text
  part + HTML alternative, headers ``List-Unsubscribe: <https://…/parrain/unsubscribe/<t>/>``
  and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). ``sender`` None:
  ``PARRAIN["DEFAULT_FROM_EMAIL"]`` or Django's ``DEFAULT_FROM_EMAIL``.
Delivery goes through Django's email backend, so any django-anymail backend works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from ..conf import parrain_settings
from .mime import Email
from .templates import Composed


def default_sender() -> str:
    return parrain_settings.DEFAULT_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


def email_message(
    composed: Composed, *, sender: str | None = None, connection: Any = None
) -> EmailMultiAlternatives:
    """``composed`` as an email: the text part, the HTML alternative, and its headers
    (List-Unsubscribe and List-Unsubscribe-Post for one-click unsubscribing)."""
    message = Email(
        subject=composed.subject,
        body=composed.text,
        from_email=sender or default_sender(),
        to=[composed.to],
        headers=dict(composed.headers),
        connection=connection,
    )
    if composed.html:
        message.attach_alternative(composed.html, "text/html")
    return message
