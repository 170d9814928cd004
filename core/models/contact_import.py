"""Contact imports, regular imports and consent records (issue 14).

A ``ContactImport`` is one run of the one import service (core/services/contact_imports.py)
whatever the rows came from: an uploaded CSV/XLSX file, a file fetched on a schedule from
an HTTPS URL (``ImportSchedule``), the server API's bulk endpoint or the Oscar import. Its
counters are written in the same transaction as each batch of contacts, so ``rows_done`` is
where a restarted worker resumes. At most one import per program holds the import slot
(``ACTIVE_IMPORT_STATUSES``), enforced by a partial unique index.

A ``ConsentRecord`` is one consent given or withdrawn, for one channel, with when, where
and the text the person saw. The contact's ``consent_recontact`` / ``sms_consent`` columns
are a copy of the latest record per channel, kept by core/services/consents.py (the one
writer), so the dashboard's opt-in figure keeps its index-only scan.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from ..crypto import EncryptedTextField
from .choices import (
    ACTIVE_IMPORT_STATUSES,
    ConsentChannel,
    ConsentSource,
    ImportSource,
    ImportStatus,
)
from .contact import Contact
from .program import Program

#: ``failure`` of an import cancelled for being left waiting: ``"abandoned:<days>"``.
ABANDONED = "abandoned"


class ContactImport(models.Model):
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="imports"
    )
    source = models.CharField(
        _("source"), max_length=10, choices=ImportSource.choices, default=ImportSource.FILE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    # The uploaded or fetched file, kept until the import ends (resume needs it), then
    # deleted: the contacts are in the database, the invalid rows in ``error_file``.
    file = models.FileField(_("file"), upload_to="parrain/imports/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_kind = models.CharField(_("file type"), max_length=4, blank=True)  # "csv" | "xlsx"
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    # {column header: field key or ""}: see core/importing/mapping.py FIELDS.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    # Data rows (header excluded) committed so far: progress, and where a resume starts.
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(
        pgettext_lazy("contacts counted", "updated"), default=0
    )
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    invalid_count = models.PositiveIntegerField(_("invalid"), default=0)
    # The dry run's figures ({"new", "updated", "unchanged", "invalid"}) kept beside the real run's.
    dry_run = models.JSONField(_("dry run"), default=dict, blank=True)
    # The first 20 errors: [{"row": 12, "column": "email", "reason": "…"}] (row as the
    # spreadsheet numbers it: the header is row 1).
    errors = models.JSONField(_("first errors"), default=list, blank=True)
    # Every invalid row as CSV with an ``error`` column (formula cells neutralised).
    error_file = models.FileField(_("invalid rows"), upload_to="parrain/imports/", blank=True)
    failure = models.TextField(_("failure"), blank=True)
    actor = models.CharField(_("started by"), max_length=120, blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    schedule = models.ForeignKey(
        "ImportSchedule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="imports",
        verbose_name=_("regular import"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Last time a worker wrote progress: a running import silent for long was orphaned.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status__in=[s.value for s in ACTIVE_IMPORT_STATUSES]),
                name="parrain_one_active_import_per_program",
            )
        ]

    def __str__(self) -> str:
        return self.original_name or f"{self.get_source_display()} #{self.pk}"

    @property
    def failure_text(self) -> str:
        """Why it failed or stopped, in the reader's language: ``failure`` as stored, except
        the marker of an import cancelled for being left waiting (``ABANDONED``)."""
        marker, _sep, days = self.failure.partition(":")
        if marker != ABANDONED or not days.isdigit():
            return self.failure
        count = int(days)
        return ngettext(
            "Left waiting for %(days)s day: the uploaded file was deleted.",
            "Left waiting for %(days)s days: the uploaded file was deleted.",
            count,
        ) % {"days": count}

    @property
    def progress(self) -> float:
        """Share of rows done, 0.0 to 1.0 (0 while the row count is unknown)."""
        if not self.total_rows:
            return 1.0 if self.status == ImportStatus.DONE else 0.0
        return min(1.0, self.rows_done / self.total_rows)


class ImportSchedule(models.Model):
    """A program's regular import: fetch a file from an HTTPS URL every ``every_hours``."""

    program = models.OneToOneField(
        Program,
        on_delete=models.CASCADE,
        verbose_name=_("program"),
        related_name="import_schedule",
    )
    url = models.URLField(_("file URL (HTTPS)"), max_length=500)
    username = models.CharField(_("user name (basic auth)"), max_length=120, blank=True)
    # Encrypted at rest (core/crypto.py); plain in Python, never shown back in a form.
    password = EncryptedTextField(_("password (basic auth)"), blank=True)
    every_hours = models.PositiveIntegerField(_("every (hours)"), default=24)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    notify_email = models.EmailField(_("send the report to"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("regular import")
        verbose_name_plural = _("regular imports")

    def __str__(self) -> str:
        return self.url


class ConsentRecord(models.Model):
    """One consent given or withdrawn: the proof kept for the shop (GDPR art. 7(1))."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="+"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, verbose_name=_("contact"), related_name="consents"
    )
    channel = models.CharField(_("channel"), max_length=5, choices=ConsentChannel.choices)
    given = models.BooleanField(_("given"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    source = models.CharField(_("source"), max_length=12, choices=ConsentSource.choices)
    # The text the person saw (as shown, in their language) and a short version id of it
    # (sha256 prefix): the same text gives the same version.
    text = models.TextField(_("text shown"), blank=True)
    text_version = models.CharField(_("text version"), max_length=16, blank=True)
    contact_import = models.ForeignKey(
        ContactImport,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import"),
    )
    actor = models.CharField(_("recorded by"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["contact", "channel", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.given} ({self.get_source_display()})"
