"""Consent records (issue 14): the one writer of a contact's consent, per channel.

Every consent given or withdrawn — widget, import, API, webhook, Oscar registration,
account page, admin, unsubscribe link, SMS STOP — goes through :func:`record`, which adds a
``ConsentRecord`` and, when the record is the latest for its channel, copies it onto the
contact (``consent_recontact``/``consent_at``/``consent_source`` for email,
``sms_consent``/``sms_consent_at`` for SMS), which the dashboard's opt-in figure reads.
The copy goes through ``Contact.save``, which keeps ``Invitation.referee_consent`` (what the
opt-in figure counts, index-only) in step.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext

from .. import signals
from ..models import ConsentRecord, Contact, Program
from ..models.choices import ConsentChannel, ConsentSource

#: Hex digits of the text's sha256 kept as its version (the model allows 16).
VERSION_LENGTH = 12

#: Free-text sources the services used before issue 14 (and files may carry).
_LEGACY_SOURCES = {"oscar-account": ConsentSource.ACCOUNT}

#: Contact columns holding the copy of the latest record, per channel.
_COPY = {
    ConsentChannel.EMAIL: ("consent_recontact", "consent_at", "consent_source"),
    ConsentChannel.SMS: ("sms_consent", "sms_consent_at", ""),
}


def text_version(text: str) -> str:
    """A short, stable id of a consent text (the same text always gives the same id)."""
    if not text:
        return ""
    return hashlib.sha256(text.encode()).hexdigest()[:VERSION_LENGTH]


def source_of(value: str, default: ConsentSource = ConsentSource.API) -> ConsentSource:
    """The ``ConsentSource`` a free-text source stands for (``default`` when none does)."""
    if value in ConsentSource.values:
        return ConsentSource(value)
    return _LEGACY_SOURCES.get(value, default)


def consent_text(program: Program, language: str) -> str:
    """The consent sentence the widget shows in ``language``: the program's own text for
    that language, else the default one, translated."""
    own = (program.consent_texts or {}).get(language)
    if own:
        return str(own)
    with translation.override(language):
        return gettext(
            "I agree that %(program)s may send me offers by email. I can unsubscribe at any time."
        ) % {"program": program.name}


def stored(contact: Contact, channel: ConsentChannel) -> bool | None:
    """The answer copied onto the contact for ``channel`` (None: never asked)."""
    return getattr(contact, _COPY[ConsentChannel(channel)][0])


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
    """Add the record; copy it onto the contact when it is the latest for ``channel``.

    A record dated before the one the contact holds (an old line of a file, a late
    webhook) is kept as proof but changes nothing on the contact. With ``save=False``
    nothing is written: the record is returned unsaved and the contact changed in memory,
    for a caller that saves both itself (in bulk, or in its own ``contact.save()``).
    """
    channel = ConsentChannel(channel)
    entry = ConsentRecord(
        program_id=contact.program_id,
        contact=contact,
        channel=channel,
        given=given,
        at=at or timezone.now(),
        source=ConsentSource(source),
        text=text,
        text_version=text_version(text),
        actor=actor[:120],
        contact_import_id=contact_import_id,
    )
    changed = _copy(contact, entry)
    if save:
        entry.save(force_insert=True)
        if changed:
            contact.save(update_fields=changed)
        announce(entry, contact, current=bool(changed))
    return entry


def announce(entry: ConsentRecord, contact: Contact, *, current: bool) -> None:
    """The ``consent_recorded`` signal for a saved record (callers saving in bulk send it)."""
    signals.consent_recorded.send(Program, record=entry, contact=contact, current=current)


def _copy(contact: Contact, entry: ConsentRecord) -> list[str]:
    """Copy ``entry`` onto the contact if it is the latest; the fields changed."""
    answer, at_field, source_field = _COPY[ConsentChannel(entry.channel)]
    current = getattr(contact, at_field)
    if current is not None and entry.at < current:
        return []
    setattr(contact, answer, entry.given)
    setattr(contact, at_field, entry.at)
    if not source_field:
        return [answer, at_field]
    setattr(contact, source_field, entry.source)
    return [answer, at_field, source_field]


def history(contact: Contact) -> list[ConsentRecord]:
    """The contact's records, latest first."""
    return list(ConsentRecord.objects.filter(contact=contact).order_by("-at", "-pk"))


def latest(contact: Contact) -> dict[str, ConsentRecord]:
    """The latest record per channel (channel value → record), from two index lookups."""
    found = {}
    for channel in ConsentChannel:
        entry = (
            ConsentRecord.objects.filter(contact=contact, channel=channel)
            .order_by("-at", "-pk")
            .first()
        )
        if entry is not None:
            found[channel.value] = entry
    return found
