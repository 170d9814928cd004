"""The report of a regular import (issue 14), emailed to the schedule's ``notify_email``,
else to the program's ``owner_email``:
counts of new / updated / unchanged / invalid rows, or why nothing was imported, the first
errors with their row and column, and a link to the import in the admin.

Written in the active language (the worker's ``LANGUAGE_CODE``); sent through Django's
email backend like every system mail.
"""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from ..conf import parrain_settings
from ..messaging.email import default_sender
from ..models import ContactImport, ImportSchedule
from ..models.choices import ImportStatus

#: Errors listed in the email (all of them are in the import's error file).
ERRORS_IN_EMAIL = 10


def recipient(schedule: ImportSchedule) -> str:
    """The schedule's own address, else the program's owner (``Program.owner_email``)."""
    return schedule.notify_email or schedule.program.owner_email


def send(schedule: ImportSchedule, contact_import: ContactImport) -> bool:
    """Email the report; False when there is nobody to tell."""
    to = recipient(schedule)
    if not to:
        return False
    message = EmailMessage(
        subject=subject(schedule, contact_import),
        body=body(schedule, contact_import),
        from_email=default_sender(),
        to=[to],
    )
    message.send()
    return True


def subject(schedule: ImportSchedule, contact_import: ContactImport) -> str:
    names = {"program": schedule.program.name}
    if contact_import.status == ImportStatus.DONE:
        return _("Regular import for %(program)s: done") % names
    return _("Regular import for %(program)s: failed") % names


def body(schedule: ImportSchedule, contact_import: ContactImport) -> str:
    lines = [
        _("Regular import of %(url)s for %(program)s.")
        % {"url": _shown_url(schedule.url), "program": schedule.program.name},
        "",
    ]
    if contact_import.status == ImportStatus.DONE:
        lines += _counts(contact_import)
    else:
        lines += [
            _("Nothing was imported."),
            _("Reason: %(reason)s") % {"reason": contact_import.failure_text or _("unknown")},
        ]
    if contact_import.errors:
        lines += ["", _("First errors:")]
        lines += [_error_line(error) for error in contact_import.errors[:ERRORS_IN_EMAIL]]
    lines += ["", _("See the import: %(url)s") % {"url": import_url(contact_import)}]
    if schedule.next_run_at and schedule.is_active:
        lines.append(
            _("Next run: %(when)s (UTC)")
            % {"when": schedule.next_run_at.strftime("%Y-%m-%d %H:%M")}
        )
    return "\n".join(lines) + "\n"


def _counts(contact_import: ContactImport) -> list[str]:
    return [
        _("New contacts: %(count)s") % {"count": contact_import.new_count},
        _("Updated contacts: %(count)s") % {"count": contact_import.updated_count},
        _("Unchanged contacts: %(count)s") % {"count": contact_import.unchanged_count},
        _("Invalid rows (skipped): %(count)s") % {"count": contact_import.invalid_count},
    ]


def _error_line(error: dict) -> str:
    return _("Row %(row)s, column “%(column)s”: %(reason)s") % {
        "row": error.get("row", "?"),
        "column": error.get("column", ""),
        "reason": error.get("reason", ""),
    }


def _shown_url(url: str) -> str:
    from .import_schedules import redacted_url

    return redacted_url(url)


def import_url(contact_import: ContactImport) -> str:
    """The import's page in the Django admin (its schedule's page while the import list
    is not there)."""
    base = parrain_settings.BASE_URL.rstrip("/")
    try:
        path = reverse("admin:parrain_contactimport_change", args=[contact_import.pk])
    except NoReverseMatch:
        path = reverse("admin:parrain_importschedule_change", args=[contact_import.schedule_id])
    return base + path
