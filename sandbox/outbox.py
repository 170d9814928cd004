"""The demo's outbox: every email the demo sends, kept as a file and shown at /demo/outbox/.

Demo only. ``OutboxBackend`` is a Django email backend that writes each message, as sent,
to ``DEMO_OUTBOX_DIR`` (``.demo/outbox/``, one ``.eml`` file each); the pages list them for
staff (subject, recipient, date) and show one with its HTML part in a sandboxed frame and
its text part. They answer 404 unless the outbox backend is the one in use, so a deployment
of this project with a real mail server shows nothing here.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedEmail
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin

BACKEND = "sandbox.outbox.OutboxBackend"
#: The list shows the newest ones; older files stay on disk.
SHOWN = 200
NAME = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{32}\.eml$")
# The HTML part is the shop's template, shown as a mail client would: no script, no form,
# nothing fetched but images.
HTML_CSP = "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"


def outbox_dir() -> Path:
    return Path(settings.DEMO_OUTBOX_DIR)


class OutboxBackend(BaseEmailBackend):
    """Writes each email to ``DEMO_OUTBOX_DIR`` and says so on the console."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex}.eml"
            (folder / name).write_bytes(message.message().as_bytes(linesep="\r\n"))
            recipients = ", ".join(message.recipients())
            print(f"[outbox] {recipients}: {message.subject}", file=sys.stderr)
        return len(email_messages)


@dataclass(frozen=True)
class StoredEmail:
    name: str
    subject: str
    sender: str
    to: str
    date: datetime | None
    text: str
    html: str
    headers: list[tuple[str, str]]


def read(name: str) -> StoredEmail:
    """One stored email by file name; Http404 for a name that is not one of ours."""
    path = outbox_dir() / name
    if not NAME.match(name) or not path.is_file():
        raise Http404("no such email in the outbox")
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, ParsedEmail)  # nosec B101 # policy.default always makes one
    return StoredEmail(
        name=name,
        subject=_header(parsed, "Subject"),
        sender=_header(parsed, "From"),
        to=", ".join(_header(parsed, field) for field in ("To", "Cc") if parsed.get(field)),
        date=_date(parsed),
        text=_part(parsed, "plain"),
        html=_part(parsed, "html"),
        headers=[(key, str(value)) for key, value in parsed.items()],
    )


def newest() -> list[StoredEmail]:
    folder = outbox_dir()
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if NAME.match(p.name)), reverse=True)
    return [read(name) for name in names[:SHOWN]]


def _header(parsed: ParsedEmail, name: str) -> str:
    """A header's decoded value on one line (a long one arrives folded)."""
    return " ".join(str(parsed.get(name, "")).split())


def _part(parsed: ParsedEmail, subtype: str) -> str:
    body = parsed.get_body(preferencelist=(subtype,))
    if body is None or body.get_content_subtype() != subtype:
        return ""
    return str(body.get_content())


def _date(parsed: ParsedEmail) -> datetime | None:
    """The Date header as an aware moment. Django writes it in UTC marked ``-0000`` ("no
    zone information", RFC 5322), which Python reads as a naive time: it is UTC."""
    try:
        moment = parsedate_to_datetime(str(parsed["Date"])) if parsed["Date"] else None
    except (TypeError, ValueError):
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def demo_zone() -> str:
    """The demo program's time zone: the pages write the emails' times in it."""
    from parrain.core.management.commands.parrain_demo import MAIN_SLUG
    from parrain.core.models import Program

    zone = Program.objects.filter(slug=MAIN_SLUG).values_list("time_zone", flat=True).first()
    return zone or settings.TIME_ZONE


def enabled() -> bool:
    return settings.EMAIL_BACKEND == BACKEND


def _require_outbox() -> None:
    if not enabled():
        raise Http404("the demo outbox is off (EMAIL_BACKEND is not the outbox)")


@staff_member_required
def outbox(request: HttpRequest) -> HttpResponse:
    _require_outbox()
    context = {"emails": newest(), "folder": outbox_dir(), "shown": SHOWN, "zone": demo_zone()}
    return render(request, "sandbox/outbox.html", context)


@staff_member_required
def outbox_email(request: HttpRequest, name: str) -> HttpResponse:
    _require_outbox()
    context = {"email": read(name), "zone": demo_zone()}
    return render(request, "sandbox/outbox_email.html", context)


@staff_member_required
@xframe_options_sameorigin
def outbox_email_html(request: HttpRequest, name: str) -> HttpResponse:
    """The HTML part alone, for the frame of the email page."""
    _require_outbox()
    email = read(name)
    if not email.html:
        raise Http404("this email has no HTML part")
    response = HttpResponse(email.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_CSP
    return response
