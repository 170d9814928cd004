"""A program's contacts as a CSV file that the contact import reads back as it is.

The columns are the import's fields, under headers its mapping screen recognises
(``email``, ``first_name``, ``first_order_date``, …); dates in the program's time zone,
yes/no in English, consent left empty when the contact never answered. Erased contacts
are left out. Every download is audited (``contacts.exported``) with how many rows it
holds and who took it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from .. import audit
from ..exports import neutralise_formula
from ..models import Contact, Program

#: (header, contact attribute); the headers are names ``importing.mapping.guess`` maps.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("email", "email"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("phone", "phone"),
    ("language", "language"),
    ("external_id", "external_id"),
    ("is_customer", "is_customer"),
    ("first_order_date", "first_order_at"),
    ("total_spent", "total_spent"),
    ("consent", "consent_recontact"),
    ("consent_date", "consent_at"),
    ("consent_source", "consent_source"),
    ("tags", "tags"),
)
BATCH_SIZE = 2000
#: Cells the core wrote itself, never typed text: E.164 phone numbers ("+33…") stay as
#: they are, so that the import reads them back.
WRITTEN_BY_THE_CORE = frozenset({"phone"})


def exported_csv(program: Program, contacts: QuerySet[Contact], *, actor: str) -> Iterator[str]:
    """The lines of the CSV file of ``contacts`` (the program's, not erased), audited."""
    contacts = contacts.filter(program=program, erased_at=None).order_by("pk")
    audit.record(program, "contacts.exported", actor=actor[:120], rows=contacts.count())
    return _lines(contacts, program.tz())


def _lines(contacts: QuerySet[Contact], zone: ZoneInfo) -> Iterator[str]:
    yield _line([header for header, _attr in COLUMNS])
    for contact in contacts.iterator(chunk_size=BATCH_SIZE):
        yield _line([_cell(contact, attr, zone) for _header, attr in COLUMNS])


def filename(program: Program) -> str:
    return f"contacts-{program.slug}.csv"


def _line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


def _cell(contact: Contact, attr: str, zone: ZoneInfo) -> str:
    value: Any = getattr(contact, attr)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        value = ", ".join(str(tag) for tag in value)
    return str(value) if attr in WRITTEN_BY_THE_CORE else neutralise_formula(str(value))
