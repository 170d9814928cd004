"""Regular imports (issue 14): fetch a customer file from an HTTPS URL on a schedule.

The file is fetched with httpx through the SSRF guard (no private, loopback or link-local
address, HTTPS only, size and time limits), optionally with basic auth, then imported with
the schedule's mapping through ``contact_imports`` without a confirmation step (the dry
run's report is the same). The report (counts, first errors, link to the invalid rows) is
emailed to ``notify_email``. The beat task ``run_import_schedules`` runs the due ones.

The import itself runs in the ``run_contact_import`` task like any other (resumable after a
worker restart); that task calls :func:`report` when an import of a schedule ends. A fetch
that fails (DNS, refused by the guard, TLS, 401, 404, too big, too slow) imports nothing:
it leaves a FAILED import carrying the reason, ``last_error`` says it, and the report goes
out at once.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..exceptions import ParrainError
from ..http_guard import UnsafeTarget, guarded_client, private_targets_allowed
from ..importing import mapping as mappings
from ..importing.mapping import Mapping
from ..models import ContactImport, ImportSchedule
from ..models.choices import ImportSource, ImportStatus
from . import contact_imports

#: The largest file fetched: 500,000 rows (``contact_imports.MAX_ROWS``) of a wide export.
MAX_BYTES = 200 * 1024 * 1024
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
#: A download taking longer than this is abandoned (a server dripping bytes).
MAX_SECONDS = 15 * 60
#: When another import of the program held the slot, try again this much later.
BUSY_RETRY = timedelta(minutes=15)
USER_AGENT = "Parrain-Import/1"
CHUNK = 64 * 1024

#: The frequencies offered by the forms, in hours.
EVERY_HOURS_CHOICES = (1, 6, 12, 24, 24 * 7)


class FetchFailed(ParrainError):
    """The file could not be fetched; the message says why, for the shop owner."""

    status = 422
    code = "fetch-failed"


# -- the schedule's own lifecycle ----------------------------------------------------------


def save(schedule: ImportSchedule, *, actor: str) -> ImportSchedule:
    """Create or change a schedule (the forms' ``save``); the next run is recomputed."""
    created = schedule.pk is None
    if schedule.is_active and schedule.next_run_at is None:
        last = schedule.last_run_at
        schedule.next_run_at = last + timedelta(hours=schedule.every_hours) if last else None
        schedule.next_run_at = max(schedule.next_run_at or timezone.now(), timezone.now())
    if not schedule.is_active:
        schedule.next_run_at = None
    with transaction.atomic():
        schedule.save()
        audit.record(
            schedule.program,
            "import_schedule.created" if created else "import_schedule.changed",
            actor=actor,
            schedule_id=schedule.pk,
            url=redacted_url(schedule.url),
            every_hours=schedule.every_hours,
            is_active=schedule.is_active,
        )
    return schedule


def queue_run(schedule: ImportSchedule, *, actor: str) -> None:
    """ "Run now" from any admin: the fetch and the import run in tasks, after commit, so
    the page answers at once."""
    from ..tasks import run_import_schedule

    pk = schedule.pk
    transaction.on_commit(lambda: run_import_schedule.delay(pk, actor))


def delete(schedule: ImportSchedule, *, actor: str) -> None:
    with transaction.atomic():
        audit.record(
            schedule.program,
            "import_schedule.deleted",
            actor=actor,
            schedule_id=schedule.pk,
            url=redacted_url(schedule.url),
        )
        schedule.delete()


def redacted_url(url: str) -> str:
    """The URL without credentials or query string (tokens), for logs and the audit."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


# -- running -------------------------------------------------------------------------------


def run_due() -> int:
    """Run every active schedule whose ``next_run_at`` has passed; returns how many."""
    now = timezone.now()
    due = ImportSchedule.objects.filter(is_active=True, next_run_at__lte=now).order_by("pk")
    count = 0
    for schedule in due.select_related("program"):
        # Claim it (two beat runs overlapping take each schedule once).
        claimed = ImportSchedule.objects.filter(
            pk=schedule.pk, next_run_at=schedule.next_run_at
        ).update(next_run_at=now + timedelta(hours=schedule.every_hours))
        if claimed:
            run_now(schedule, actor="schedule")
            count += 1
    return count


def run_now(schedule: ImportSchedule, *, actor: str) -> ContactImport:
    """Fetch and import now (the admin's "Run now"); errors land in ``last_error``."""
    now = timezone.now()
    _stamp(schedule, last_run_at=now, next_run_at=_next_run(schedule, now))
    try:
        path, name = fetch(schedule)
    except FetchFailed as exc:
        return _failed(schedule, exc.message, actor=actor, name=file_name(schedule.url))
    try:
        return _import(schedule, path, name, actor=actor)
    finally:
        path.unlink(missing_ok=True)


def _next_run(schedule: ImportSchedule, now: datetime) -> datetime | None:
    return now + timedelta(hours=schedule.every_hours) if schedule.is_active else None


def _stamp(schedule: ImportSchedule, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(schedule, name, value)
    ImportSchedule.objects.filter(pk=schedule.pk).update(**fields)


def _import(schedule: ImportSchedule, path: Path, name: str, *, actor: str) -> ContactImport:
    program = schedule.program
    try:
        with path.open("rb") as handle:
            contact_import = contact_imports.start(
                program, handle, name, actor=actor, source=ImportSource.URL
            )
    except contact_imports.ImportRefused as exc:
        return _failed(schedule, exc.message, actor=actor, name=name)
    ContactImport.objects.filter(pk=contact_import.pk).update(schedule=schedule)
    contact_import.schedule = schedule
    mapping = mapping_for(schedule, contact_import.headers)
    try:
        contact_imports.set_mapping(contact_import, mapping, actor=actor)
        contact_imports.confirm(contact_import, actor=actor)
    except contact_imports.ImportBusy as exc:
        _stamp(schedule, next_run_at=timezone.now() + BUSY_RETRY)
        return _given_up(schedule, contact_import, exc.message, actor=actor)
    except contact_imports.ImportRefused as exc:
        return _given_up(schedule, contact_import, exc.message, actor=actor)
    _stamp(schedule, last_error="")
    audit.record(
        program,
        "import_schedule.fetched",
        actor=actor,
        schedule_id=schedule.pk,
        import_id=contact_import.pk,
        url=redacted_url(schedule.url),
    )
    return contact_import


def mapping_for(schedule: ImportSchedule, headers: list[str]) -> Mapping:
    """The schedule's mapping for the file's columns, else the program's saved one (the
    last manual import's), else the guesses; a column it does not name is left out."""
    if schedule.mapping:
        return {header: schedule.mapping.get(header, "") for header in headers}
    return mappings.guess(headers, schedule.program.import_mapping)


def _given_up(
    schedule: ImportSchedule, contact_import: ContactImport, reason: str, *, actor: str
) -> ContactImport:
    """The file came but cannot be imported now: cancel the import (its file goes), keep
    the reason on it and on the schedule, and report."""
    contact_imports.cancel(contact_import, actor=actor)
    ContactImport.objects.filter(pk=contact_import.pk).update(failure=reason)
    contact_import.refresh_from_db()
    _stamp(schedule, last_error=reason)
    _audit_failure(schedule, reason, actor=actor, import_id=contact_import.pk)
    send_report(schedule, contact_import)
    return contact_import


def _failed(schedule: ImportSchedule, reason: str, *, actor: str, name: str) -> ContactImport:
    """Nothing could be imported: a FAILED import records the attempt and its reason."""
    now = timezone.now()
    contact_import = ContactImport.objects.create(
        program=schedule.program,
        source=ImportSource.URL,
        status=ImportStatus.FAILED,
        original_name=name[:255],
        failure=reason,
        actor=actor[:120],
        schedule=schedule,
        started_at=now,
        finished_at=now,
    )
    _stamp(schedule, last_error=reason)
    _audit_failure(schedule, reason, actor=actor, import_id=contact_import.pk)
    send_report(schedule, contact_import)
    return contact_import


def _audit_failure(schedule: ImportSchedule, reason: str, *, actor: str, import_id: int) -> None:
    audit.record(
        schedule.program,
        "import_schedule.failed",
        reason="fetch_failed",
        message=reason,
        actor=actor,
        schedule_id=schedule.pk,
        import_id=import_id,
        url=redacted_url(schedule.url),
    )


def report(contact_import: ContactImport) -> None:
    """An import of a schedule has ended (the ``run_contact_import`` task calls this):
    ``last_error`` follows its outcome, and the report is emailed."""
    schedule = contact_import.schedule
    if schedule is None or contact_import.status not in (ImportStatus.DONE, ImportStatus.FAILED):
        return
    failure = contact_import.failure_text if contact_import.status == ImportStatus.FAILED else ""
    _stamp(schedule, last_error=failure)
    send_report(schedule, contact_import)


def send_report(schedule: ImportSchedule, contact_import: ContactImport) -> bool:
    """Email the report to ``notify_email``, else the program's ``owner_email``; False
    when there is nobody to tell."""
    from .import_reports import send

    return send(schedule, contact_import)


# -- fetching ------------------------------------------------------------------------------


def file_name(url: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name or "import.csv"


def check_url(url: str) -> None:
    """``FetchFailed`` unless the URL may be fetched: HTTPS (plain HTTP only where private
    targets are allowed: tests, the demo), with a host name."""
    parts = urlsplit(url)
    allowed = ("https", "http") if private_targets_allowed() else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise FetchFailed(_("Only HTTPS addresses are accepted."), field="url")
    if parts.username or parts.password:
        raise FetchFailed(
            _("Put the user name and password in their own fields, not in the URL."), field="url"
        )


def fetch(schedule: ImportSchedule) -> tuple[Path, str]:
    """Download the schedule's file into a temporary file (the caller deletes it);
    returns its path and the file name to show. Raises :class:`FetchFailed`."""
    check_url(schedule.url)
    auth = httpx.BasicAuth(schedule.username, schedule.password) if schedule.username else None
    handle = tempfile.NamedTemporaryFile(prefix="parrain-import-", delete=False)
    path = Path(handle.name)
    try:
        with handle, _client() as client:
            _download(client, schedule.url, auth, handle)
    except FetchFailed:
        path.unlink(missing_ok=True)
        raise
    except UnsafeTarget as exc:
        path.unlink(missing_ok=True)
        raise FetchFailed(str(exc)) from exc
    except httpx.HTTPError as exc:
        path.unlink(missing_ok=True)
        raise FetchFailed(_transport_reason(exc)) from exc
    return path, file_name(schedule.url)


def _client() -> httpx.Client:
    return guarded_client(
        user_agent=USER_AGENT,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        allow_private=private_targets_allowed,
    )


def _download(client: httpx.Client, url: str, auth: httpx.Auth | None, out: IO[bytes]) -> None:
    started = time.monotonic()
    with client.stream("GET", url, auth=auth) as response:
        _check_response(response)
        size = 0
        for chunk in response.iter_bytes(CHUNK):
            size += len(chunk)
            if size > MAX_BYTES:
                raise FetchFailed(_too_big())
            if time.monotonic() - started > MAX_SECONDS:
                raise FetchFailed(_("The download took too long."))
            out.write(chunk)
    if size == 0:
        raise FetchFailed(_("The server sent an empty file."))


def _check_response(response: httpx.Response) -> None:
    status = response.status_code
    if status in (401, 403):
        raise FetchFailed(
            _("The server refused the user name or password (HTTP %(status)s).")
            % {"status": status}
        )
    if status == 404:
        raise FetchFailed(_("No file at this address (HTTP 404)."))
    if 300 <= status < 400:
        raise FetchFailed(_("The server redirects to another address: enter that address instead."))
    if status != 200:
        raise FetchFailed(_("The server answered HTTP %(status)s.") % {"status": status})
    if response.headers.get("content-encoding", "identity") not in ("identity", ""):
        return  # compressed: the size is checked on the bytes received
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES:
        raise FetchFailed(_too_big())


def _too_big() -> str:
    return _("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // (1024 * 1024)}


def _transport_reason(exc: httpx.HTTPError) -> str:
    text = str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return _("The server took too long to answer.")
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return _("The server's HTTPS certificate could not be verified.")
    if isinstance(exc, httpx.ConnectError):
        return _("The server could not be reached.")
    return _("The download failed: %(error)s") % {"error": text[:200] or type(exc).__name__}
