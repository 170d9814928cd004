"""What the admins (Django, Oscar dashboard) and the server API share to show a contact's
consent history and hand out their export (issue 14)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from .labels import actor_label
from .models import ConsentRecord, Contact, Program
from .services import consents, contact_export, contact_list_export


def download(contact: Contact, *, actor: str) -> HttpResponse:
    """The export of ``contact`` as a JSON attachment, audited (``contact.exported``)."""
    data = contact_export.exported(contact, actor=actor)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    name = contact_export.filename(contact)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def download_contacts(
    program: Program, contacts: QuerySet[Contact], *, actor: str
) -> StreamingHttpResponse:
    """``contacts`` of ``program`` as a CSV attachment the contact import reads back,
    audited (``contacts.exported``)."""
    lines = contact_list_export.exported_csv(program, contacts, actor=actor)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = contact_list_export.filename(program)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@dataclass(frozen=True)
class ConsentRow:
    """One line of the consent history as the admins show it."""

    channel: str
    given: bool
    at: datetime  # in the program's time zone
    at_text: str  # e.g. "2026-12-04 09:40", in the program's time zone
    source: str
    text: str
    text_version: str
    actor: str  # who recorded it, as a person reads it ("admin", "Widget"), not "wagtail:1"


def consent_rows(contact: Contact) -> list[ConsentRow]:
    zone = contact.program.tz()
    labels: dict[str, str] = {}  # one user lookup per actor, not per row
    rows = []
    for entry in consents.history(contact):
        if entry.actor not in labels:
            labels[entry.actor] = actor_label(entry.actor)
        rows.append(_row(entry, zone, labels[entry.actor]))
    return rows


def consent_history_html(contact: Contact | None) -> str:
    """The consent history table (shared by the Django admin and the Oscar dashboard)."""
    if contact is None or not contact.pk:
        return "-"
    return render_to_string("parrain/includes/consent_history.html", history_context(contact))


def history_context(contact: Contact) -> dict[str, object]:
    return {"consent_rows": consent_rows(contact), "time_zone": contact.program.time_zone}


def _row(entry: ConsentRecord, zone: ZoneInfo, actor: str) -> ConsentRow:
    return ConsentRow(
        channel=str(entry.get_channel_display()),
        given=entry.given,
        at=timezone.localtime(entry.at, zone),
        at_text=timezone.localtime(entry.at, zone).strftime("%Y-%m-%d %H:%M"),
        source=str(entry.get_source_display()),
        text=entry.text,
        text_version=entry.text_version,
        actor=actor,
    )
