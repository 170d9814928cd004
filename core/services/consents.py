"""Consent records (issue 14): the one writer of a contact's consent, per channel.

Every consent given or withdrawn — widget, import, API, webhook, Oscar registration,
account page, admin, unsubscribe link, SMS STOP — goes through :func:`record`, which adds a
``ConsentRecord`` and, when the record is the latest for its channel, copies it onto the
contact (``consent_recontact``/``consent_at``/``consent_source`` for email,
``sms_consent``/``sms_consent_at`` for SMS), which the dashboard's opt-in figure reads.
"""

from __future__ import annotations

from datetime import datetime

from ..models import ConsentRecord, Contact
from ..models.choices import ConsentChannel, ConsentSource


def text_version(text: str) -> str:
    """A short, stable id of a consent text (the same text always gives the same id)."""
    raise NotImplementedError


def record(
    contact: Contact,
    channel: ConsentChannel,
    given: bool,
    *,
    source: ConsentSource,
    at: datetime | None = None,
    text: str = "",
    actor: str = "",
    contact_import_id: int | None = None,
    save: bool = True,
) -> ConsentRecord:
    """Add the record; copy it onto the contact when it is the latest for ``channel``."""
    raise NotImplementedError


def history(contact: Contact) -> list[ConsentRecord]:
    """The contact's records, latest first."""
    raise NotImplementedError
