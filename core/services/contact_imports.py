"""The one contact import service (issue 14): uploaded files, regular imports from a URL,
the server API's bulk endpoint and the Oscar import all go through here.

A file import walks: ``start`` (store the file, read its headers, guess the mapping) →
``set_mapping`` (saved on the program for next time) → ``check`` (the dry run: counts of
new / updated / unchanged / invalid and the first 20 errors, in the task for big files) →
``confirm`` (queue the task) → ``run`` (the task: batches of ``BATCH`` rows, each committed
with the import's counters, so a killed worker's retry resumes after the last committed
batch) → done, with the invalid rows in ``error_file``. The task is ``acks_late`` with
``reject_on_worker_lost``: a worker killed mid-import gives the task back to the broker.

Two imports of one program never run at once (``ACTIVE_IMPORT_STATUSES``, a partial unique
index): ``check`` and ``confirm`` raise :class:`ImportBusy` while another holds the slot.

Each batch's invalid rows are kept as their own piece of CSV in storage, named after the
batch's first row, written before the batch commits: a batch redone after a crash rewrites
its piece, so the final error file (the pieces joined in order) has every invalid row once.
"""

from __future__ import annotations

import gc
import io
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Mapping as Map
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import audit, signals
from ..conf import parrain_settings
from ..emails import normalize_email
from ..exceptions import ParrainError
from ..importing import digests, engine, files
from ..importing import mapping as mappings
from ..importing import rows as parsing
from ..importing.engine import BatchResult
from ..importing.mapping import Mapping
from ..importing.rows import ContactRow, Pending, RowError
from ..memo import batch_scope
from ..models import Contact, ContactImport, Program
from ..models.choices import ACTIVE_IMPORT_STATUSES, ImportSource, ImportStatus
from ..models.contact_import import ABANDONED
from .contacts import ContactData, record_sms_consent

#: Rows per committed batch (``PARRAIN_IMPORT_BATCH`` overrides it).
BATCH = 5_000
#: Rows at most in one file.
MAX_ROWS = 500_000
#: Files with at most this many rows get their dry run at once, in the request.
INLINE_CHECK_ROWS = 20_000
#: An XLSX file whose sheet declares no size gets its dry run at once when this small
#: (about INLINE_CHECK_ROWS rows of a dozen columns).
INLINE_CHECK_BYTES = 1536 * 1024
#: A running import silent this long was orphaned: another worker may take it over.
ORPHANED_AFTER = timedelta(minutes=10)
#: Errors kept on the import for the report (all are in the error file).
ERRORS_SHOWN = 20

Progress = Callable[[ContactImport], None]


class ImportBusy(ParrainError):
    """Another import of this program is checking or running."""

    status = 409
    code = "import-busy"
    default_message = _(
        "Another import of this program is under way; try again when it has finished."
    )


class ImportRefused(ParrainError):
    """The file or mapping cannot be imported; the message says why, for a user."""

    status = 422
    code = "import-refused"


class _Stopped(Exception):
    """The import was cancelled or moved on by another worker: stop quietly."""


def batch_size() -> int:
    return parrain_settings.IMPORT_BATCH


# -- the steps a user takes -----------------------------------------------------------------


def start(
    program: Program,
    upload: IO[bytes],
    name: str,
    *,
    actor: str,
    source: ImportSource = ImportSource.FILE,
) -> ContactImport:
    """Store the file and its headers, with the saved or guessed mapping (UPLOADED)."""
    contact_import = ContactImport(
        program=program, source=source, original_name=name[:255], actor=actor[:120]
    )
    suffix = PurePosixPath(name).suffix.lower()[:6]
    contact_import.file.save(f"upload{suffix}", File(upload, name=name), save=False)
    try:
        info, total = _inspect(contact_import, name)
    except ImportRefused:
        contact_import.file.delete(save=False)
        raise
    contact_import.file_kind = info.kind
    contact_import.encoding = info.encoding
    contact_import.delimiter = info.delimiter
    contact_import.headers = info.headers
    contact_import.mapping = mappings.guess(info.headers, program.import_mapping)
    contact_import.total_rows = total
    contact_import.save()
    return contact_import


def _inspect(contact_import: ContactImport, name: str) -> tuple[files.FileInfo, int | None]:
    try:
        with contact_import.file.open("rb") as handle:
            info = files.inspect(handle, name)
            if info.kind != "csv":
                # Not read twice (counting was a third of an XLSX import): the rows its
                # sheet declares, blank ones included, shown until the dry run or the
                # import counts them; MAX_ROWS is checked as they are read.
                return info, info.declared_rows
            total = files.count_rows(handle, info)
    except files.FileError as exc:
        raise ImportRefused(str(exc), field="file") from exc
    if total > MAX_ROWS:
        raise ImportRefused(_too_many_rows(), field="file")
    return info, total


def _too_many_rows() -> str:
    return str(
        _("The file has more than %(max)s rows: split it in several files.") % {"max": MAX_ROWS}
    )


def set_mapping(contact_import: ContactImport, mapping: Mapping, *, actor: str) -> ContactImport:
    """Check and keep the mapping, and save it on the program for the next import."""
    _expect(contact_import, ImportStatus.UPLOADED, ImportStatus.CHECKED)
    problems = mappings.check(mapping, contact_import.headers)
    if problems:
        raise ImportRefused(" ".join(str(p) for p in problems), field="mapping")
    program = contact_import.program
    with transaction.atomic():
        _move(
            contact_import,
            ImportStatus.UPLOADED,
            mapping=mapping,
            dry_run={},
            errors=[],
            invalid_count=0,
            failure="",
        )
        program.import_mapping = {**program.import_mapping, **mapping}
        Program.objects.filter(pk=program.pk).update(import_mapping=program.import_mapping)
    return contact_import


def check(contact_import: ContactImport, *, actor: str) -> ContactImport:
    """Start the dry run (CHECKING → CHECKED); small files are checked at once."""
    _expect(contact_import, ImportStatus.UPLOADED, ImportStatus.CHECKED)
    problems = mappings.check(contact_import.mapping, contact_import.headers)
    if problems:
        raise ImportRefused(" ".join(str(p) for p in problems), field="mapping")
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        _move(contact_import, ImportStatus.CHECKING, task_id=task_id, **_cleared())
        small = _small(contact_import)
        if not small:
            _enqueue_after_commit(contact_import.pk, task_id, dry_run=True)
    if small:
        return run(contact_import.pk, dry_run=True, task_id=task_id)
    return contact_import


def confirm(contact_import: ContactImport, *, actor: str) -> ContactImport:
    """Queue the real import (QUEUED); the task ``run_contact_import`` runs it. A regular
    import may confirm straight from UPLOADED (no dry run)."""
    _expect(contact_import, ImportStatus.CHECKED, ImportStatus.UPLOADED)
    problems = mappings.check(contact_import.mapping, contact_import.headers)
    if problems:
        raise ImportRefused(" ".join(str(p) for p in problems), field="mapping")
    return _queue(contact_import, actor=actor)


def retry(contact_import: ContactImport, *, actor: str) -> ContactImport:
    """Queue a FAILED import again: it resumes after its last committed batch."""
    _expect(contact_import, ImportStatus.FAILED)
    if not contact_import.file:
        raise ImportRefused(_("The file of this import is gone: upload it again."))
    return _queue(contact_import, actor=actor)


def _small(contact_import: ContactImport) -> bool:
    """Small enough for its dry run in the request: by its rows, else by its size."""
    if contact_import.total_rows is not None:
        return contact_import.total_rows <= INLINE_CHECK_ROWS
    return contact_import.file.size <= INLINE_CHECK_BYTES


def _queue(contact_import: ContactImport, *, actor: str) -> ContactImport:
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        _move(contact_import, ImportStatus.QUEUED, task_id=task_id, failure="", actor=actor[:120])
        _enqueue_after_commit(contact_import.pk, task_id, dry_run=False)
    return contact_import


def cancel(
    contact_import: ContactImport,
    *,
    actor: str,
    action: str = "contacts.import_cancelled",
    why: str = "",
) -> ContactImport:
    """Stop an import that has not finished; batches already committed stay. ``why``: the
    reason kept in ``failure`` (``discard_abandoned``'s marker)."""
    _expect(contact_import, *_UNFINISHED)
    with transaction.atomic():
        _move(contact_import, ImportStatus.CANCELLED, finished_at=timezone.now(), failure=why)
        audit.record(
            contact_import.program,
            action,
            actor=actor,
            import_id=contact_import.pk,
            rows_done=contact_import.rows_done,
        )
        transaction.on_commit(lambda: _discard_files(contact_import, keep_errors=False))
    return contact_import


#: Waiting on a person: columns to match, a dry run to confirm, a failure to resume.
_WAITING = (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED)


def discard_abandoned(now: datetime | None = None) -> tuple[int, int]:
    """Data minimisation for uploaded files (schedule it daily): an import waiting on a
    person untouched for ``IMPORT_ABANDONED_AFTER`` is cancelled and its file deleted (what
    a failed import committed stays); the invalid-rows file of an import finished
    ``IMPORT_ERRORS_KEPT`` ago is deleted. Returns (imports cancelled, files deleted)."""
    now = now or timezone.now()
    cutoff = now - parrain_settings.IMPORT_ABANDONED_AFTER
    untouched = Q(created_at__lt=cutoff)
    for moment in ("started_at", "heartbeat_at", "finished_at"):
        untouched &= Q(**{f"{moment}__isnull": True}) | Q(**{f"{moment}__lt": cutoff})
    # a marker, put in words in the reader's language (``ContactImport.failure_text``)
    why = f"{ABANDONED}:{max(1, parrain_settings.IMPORT_ABANDONED_AFTER.days)}"
    cancelled = 0
    waiting = ContactImport.objects.filter(untouched, status__in=_WAITING).select_related("program")
    for contact_import in waiting.order_by("pk"):
        try:
            cancel(contact_import, actor="system", action="contacts.import_abandoned", why=why)
        except ImportRefused:  # someone moved it on meanwhile
            continue
        cancelled += 1
    kept_until = now - parrain_settings.IMPORT_ERRORS_KEPT
    deleted = 0
    ended = ContactImport.objects.filter(status=ImportStatus.DONE, finished_at__lt=kept_until)
    for contact_import in ended.exclude(error_file="").order_by("pk"):
        contact_import.error_file.delete(save=False)
        ContactImport.objects.filter(pk=contact_import.pk).update(error_file="")
        deleted += 1
    return cancelled, deleted


_FROM_FILES = (ImportSource.FILE, ImportSource.URL)
_UNFINISHED = (
    ImportStatus.UPLOADED,
    ImportStatus.CHECKING,
    ImportStatus.CHECKED,
    ImportStatus.QUEUED,
    ImportStatus.RUNNING,
    ImportStatus.FAILED,
)


def resume_orphaned() -> list[int]:
    """Queue again the running imports no worker has written to for ``ORPHANED_AFTER``
    (their task was lost with its worker); returns their ids. Schedule it."""
    stale = ContactImport.objects.filter(
        status__in=(ImportStatus.RUNNING, ImportStatus.CHECKING),
        heartbeat_at__lt=timezone.now() - ORPHANED_AFTER,
    )
    # rows handed over by a process (the Oscar command) cannot be read again: their
    # import ends FAILED, freeing the slot; what was committed stays
    stale.exclude(source__in=_FROM_FILES).update(
        status=ImportStatus.FAILED,
        failure=str(_("Interrupted: the process importing these rows stopped.")),
        heartbeat_at=None,
    )
    ids = list(stale.filter(source__in=_FROM_FILES).values_list("pk", "status"))
    for pk, status in ids:
        _enqueue_after_commit(pk, str(uuid.uuid4()), dry_run=status == ImportStatus.CHECKING)
    return [pk for pk, _status in ids]


def _expect(contact_import: ContactImport, *statuses: str) -> None:
    if contact_import.status not in statuses:
        raise ImportRefused(
            _("This import is %(status)s: it cannot do that now.")
            % {"status": contact_import.get_status_display()}
        )


def _cleared() -> dict[str, Any]:
    return {
        "rows_done": 0,
        "new_count": 0,
        "updated_count": 0,
        "unchanged_count": 0,
        "invalid_count": 0,
        "errors": [],
        "failure": "",
    }


def _move(contact_import: ContactImport, status: str, **fields: Any) -> None:
    """Compare-and-set the status (taking or freeing the program's import slot)."""
    try:
        with transaction.atomic():
            moved = ContactImport.objects.filter(
                pk=contact_import.pk, status=contact_import.status
            ).update(status=status, **fields)
    except IntegrityError as exc:
        raise ImportBusy() from exc
    if not moved:
        raise ImportRefused(_("This import changed meanwhile: reload the page."))
    contact_import.refresh_from_db()


def _enqueue_after_commit(import_id: int, task_id: str, *, dry_run: bool) -> None:
    from ..tasks import run_contact_import

    transaction.on_commit(
        lambda: run_contact_import.apply_async((import_id,), {"dry_run": dry_run}, task_id=task_id)
    )


# -- the task body --------------------------------------------------------------------------


def run(import_id: int, *, dry_run: bool = False, task_id: str = "") -> ContactImport:
    """The task body: check or import from ``rows_done`` on, batch by batch. ``task_id``
    tells a redelivered task (same id: it resumes) from a second one (it leaves a running
    import alone unless its heartbeat is older than ``ORPHANED_AFTER``)."""
    contact_import = ContactImport.objects.select_related("program").get(pk=import_id)
    if not _claim(contact_import, dry_run=dry_run, task_id=task_id):
        return contact_import
    status = ImportStatus.CHECKING if dry_run else ImportStatus.RUNNING
    try:
        _file_batches(contact_import, status, dry_run=dry_run)
        _finish(contact_import, status, dry_run=dry_run)
    except _Stopped:
        pass
    except ImportRefused as exc:
        _fail(contact_import, status, exc.message, dry_run=dry_run)
    except Exception as exc:
        _fail(contact_import, status, repr(exc)[:2000], dry_run=dry_run)
        raise
    contact_import.refresh_from_db()
    return contact_import


def _claim(contact_import: ContactImport, *, dry_run: bool, task_id: str) -> bool:
    now = timezone.now()
    claim = {"heartbeat_at": now, "task_id": task_id[:64]}
    rows = ContactImport.objects.filter(pk=contact_import.pk)
    if dry_run:
        mine = rows.filter(status=ImportStatus.CHECKING)
    elif contact_import.status == ImportStatus.QUEUED:
        mine = rows.filter(status=ImportStatus.QUEUED)
        claim.update(status=ImportStatus.RUNNING, started_at=contact_import.started_at or now)
        if contact_import.rows_done == 0:
            claim.update(_cleared())
    else:
        mine = rows.filter(status=ImportStatus.RUNNING)
    if contact_import.status in (ImportStatus.CHECKING, ImportStatus.RUNNING):
        # the same task delivered again (its worker died), or an orphan taken over
        mine = mine.filter(task_id=task_id) | mine.filter(heartbeat_at__lt=now - ORPHANED_AFTER)
    if not mine.update(**claim):
        return False
    contact_import.refresh_from_db()
    return True


class _Spared:
    """How many imports of this process keep the collector off (``gc.freeze`` is the
    process's, not a thread's), and how many rows went through since the collector last
    looked at everything."""

    lock = threading.Lock()
    depth = 0
    rows = 0


# A full collection once this many rows went through frozen (about 100 ms for Django and
# the apps; 2 to 3 % of the time of as many rows through the API, less for a file).
COLLECT_AFTER_ROWS = 50_000


@contextmanager
def collector_spared() -> Iterator[None]:
    """Keep the cyclic garbage collector off the objects alive before the import (Django's
    and the apps' modules, a few hundred thousand): every batch allocates enough to start a
    full collection, which walked them all again (a third of a file import's CPU). The
    rows themselves are freed by reference counting; the objects are handed back after.
    Nested or concurrent uses leave it to the first in and the last out (``gc.unfreeze``
    hands back every frozen object).

    What was frozen is handed back to the oldest generation, which the collector only
    walks when it has grown by a quarter: the request of a bulk API call is among it, and
    Django's request is a reference cycle (its lazy ``user``) holding the body, so each
    10,000-row request kept its 2 MB body until then (a process sending 200,000 rows grew
    by 200 MB). The outermost import runs a full collection once ``COLLECT_AFTER_ROWS``
    rows went through (``spared_rows``)."""
    with _Spared.lock:
        if not _Spared.depth:
            gc.freeze()
        _Spared.depth += 1
    try:
        yield
    finally:
        with _Spared.lock:
            _Spared.depth -= 1
            if not _Spared.depth:
                gc.unfreeze()
                if _Spared.rows >= COLLECT_AFTER_ROWS:
                    _Spared.rows = 0
                    gc.collect()


def spared_rows(count: int) -> None:
    """``count`` more rows went through an import that keeps the collector off."""
    _Spared.rows += count  # a lost update between threads only delays a collection


def _file_batches(contact_import: ContactImport, status: str, *, dry_run: bool) -> None:
    with collector_spared():
        _file_batches_spared(contact_import, status, dry_run=dry_run)


def _file_batches_spared(contact_import: ContactImport, status: str, *, dry_run: bool) -> None:
    program = contact_import.program
    settings = {
        "languages": list(program.languages),
        "phone_region": parrain_settings.PHONE_REGION,
        "tz": program.time_zone,
    }
    parse = parsing.make_parser(contact_import.headers, contact_import.mapping, **settings)
    pending = None
    if engine.skipping():
        pending = parsing.make_pending(contact_import.headers, contact_import.mapping, **settings)
    with contact_import.file.open("rb") as handle:
        info = _file_info(contact_import, handle)
        numbered = files.iter_numbered_rows(handle, info, start=contact_import.rows_done)
        cursor = contact_import.rows_done
        try:
            while chunk := list(islice(numbered, batch_size())):
                if cursor + len(chunk) > MAX_ROWS:
                    raise ImportRefused(_too_many_rows())
                pendings = [pending(number, cells) for number, cells in chunk] if pending else None
                batch = _Batch(cursor, chunk, parse, pendings)
                _commit(contact_import, status, batch, dry_run=dry_run)
                cursor += len(chunk)
                spared_rows(len(chunk))
        finally:
            numbered.close()  # before the file: the reader holds it


def _file_info(contact_import: ContactImport, handle: IO[bytes]) -> files.FileInfo:
    try:
        return files.inspect(handle, contact_import.original_name)
    except files.FileError as exc:
        raise ImportRefused(str(exc)) from exc


class _Batch:
    """Rows ``cursor`` to ``cursor + len(cells)`` of the file (blank rows not counted),
    parsed once the rows an import would count unchanged are known (``skip``)."""

    def __init__(
        self,
        cursor: int,
        cells: list[tuple[int, list[Any]]],
        parse: parsing.RowParser,
        pending: list[Pending] | None,
    ) -> None:
        self.cursor = cursor
        self.cells = cells
        self.pending = pending
        self._parse = parse
        # a row: parsed, refused with its reasons, or None (unchanged, not parsed)
        self.parsed: list[ContactRow | list[RowError] | None] = []
        self.skipped = 0

    def parse(self, skipped: set[int]) -> None:
        parse = self._parse
        self.skipped = len(skipped)
        self.parsed = parsed = []
        for at, (number, cells) in enumerate(self.cells):
            if number in skipped:
                parsed.append(None)
                continue
            row = parse(number, cells)
            if self.pending is not None and isinstance(row, ContactRow):
                row.digest = self.pending[at].digest
            parsed.append(row)

    @property
    def valid(self) -> list[ContactRow]:
        return [row for row in self.parsed if isinstance(row, ContactRow)]

    def invalid(self, result: BatchResult, headers: list[str]) -> list[list[RowError]]:
        """The rows the parser refused, and those the engine could not write, in order."""
        refused = dict(result.refused)
        column = headers[0] if headers else ""
        errors: list[list[RowError]] = []
        for (number, cells), row in zip(self.cells, self.parsed, strict=True):
            if isinstance(row, list):
                errors.append(row)
            elif number in refused:
                text = parsing.cells_as_text(cells)
                errors.append([RowError(number, column, refused[number], text)])
        return errors


def _commit(contact_import: ContactImport, status: str, batch: _Batch, *, dry_run: bool) -> None:
    """One batch, its error piece and the import's counters, in one transaction; refused
    (``_Stopped``) when the import was cancelled or another worker committed this batch
    meanwhile. The rows whose digest says they are unchanged are counted so, unparsed."""
    with transaction.atomic():
        locked = (
            ContactImport.objects.select_related("program")
            .order_by("pk")
            .select_for_update(of=("self",))
            .get(pk=contact_import.pk)
        )
        if locked.status != status or locked.rows_done != batch.cursor:
            raise _Stopped
        stored, skipped = None, set()
        if batch.pending:
            stored = engine.Stored(locked.program, batch.pending, light=True)
            skipped = stored.skip_unchanged(batch.pending)
        batch.parse(skipped)
        valid = batch.valid
        result = BatchResult()
        if valid:
            result = engine.apply_batch(
                locked.program,
                valid,
                contact_import=locked,
                actor=locked.actor or "import",
                dry_run=dry_run,
                stored=stored,
            )
        result.unchanged += batch.skipped
        invalid = batch.invalid(result, locked.headers)
        if not dry_run:
            _write_error_piece(locked, batch.cursor, invalid)
        _count(locked, batch.cursor + len(batch.cells), result, invalid)


def _count(
    contact_import: ContactImport, rows_done: int, result: BatchResult, invalid: list
) -> None:
    shown = contact_import.errors[:ERRORS_SHOWN]
    for errors in invalid:
        shown += [_error_json(error) for error in errors][: ERRORS_SHOWN - len(shown)]
    ContactImport.objects.filter(pk=contact_import.pk).update(
        rows_done=rows_done,
        new_count=F("new_count") + result.new,
        updated_count=F("updated_count") + result.updated,
        unchanged_count=F("unchanged_count") + result.unchanged,
        invalid_count=F("invalid_count") + len(invalid),
        errors=shown,
        heartbeat_at=timezone.now(),
    )


def _error_json(error: RowError) -> dict[str, Any]:
    return {"row": error.row, "column": error.column, "reason": str(error.reason)}


def _finish(contact_import: ContactImport, status: str, *, dry_run: bool) -> None:
    contact_import.refresh_from_db()
    counts = {
        "new": contact_import.new_count,
        "updated": contact_import.updated_count,
        "unchanged": contact_import.unchanged_count,
        "invalid": contact_import.invalid_count,
    }
    done = {"total_rows": contact_import.rows_done, "heartbeat_at": None}
    if dry_run:
        moved = ContactImport.objects.filter(pk=contact_import.pk, status=status).update(
            status=ImportStatus.CHECKED,
            dry_run=counts,
            **{**done, "rows_done": 0, "new_count": 0, "updated_count": 0, "unchanged_count": 0},
        )
        if not moved:
            raise _Stopped
        return
    error_file = _join_error_pieces(contact_import)
    with transaction.atomic():
        moved = ContactImport.objects.filter(pk=contact_import.pk, status=status).update(
            status=ImportStatus.DONE,
            finished_at=timezone.now(),
            error_file=error_file,
            **done,
        )
        if not moved:
            raise _Stopped
        audit.record(
            contact_import.program,
            "contacts.imported",
            actor=contact_import.actor or "import",
            import_id=contact_import.pk,
            source=contact_import.source,
            **counts,
        )
        contact_import.refresh_from_db()
        _announce(contact_import)
        transaction.on_commit(lambda: _discard_files(contact_import, keep_errors=True))


def _announce(contact_import: ContactImport) -> None:
    """The import ended (done): the core's ``contacts_imported`` signal."""
    signals.contacts_imported.send(Program, contact_import=contact_import)


def _fail(contact_import: ContactImport, status: str, reason: str, *, dry_run: bool) -> None:
    """A failed dry run goes back to UPLOADED (check again); a failed import is FAILED,
    its file kept so that ``retry`` resumes it. Either way the slot is freed."""
    ContactImport.objects.filter(pk=contact_import.pk, status=status).update(
        status=ImportStatus.UPLOADED if dry_run else ImportStatus.FAILED,
        failure=reason,
        heartbeat_at=None,
        **({"rows_done": 0} if dry_run else {}),
    )


# -- the error file -------------------------------------------------------------------------


def _pieces_folder(contact_import: ContactImport) -> str:
    return f"parrain/imports/{contact_import.pk}/invalid-rows"


def _error_text(headers: list[str], errors: Iterable[RowError]) -> str:
    out = io.StringIO()
    parsing.write_error_file(out, headers, errors)
    return out.getvalue()


def _write_error_piece(
    contact_import: ContactImport, cursor: int, invalid: list[list[RowError]]
) -> None:
    name = f"{_pieces_folder(contact_import)}/{cursor:09d}.csv"
    if default_storage.exists(name):
        default_storage.delete(name)
    if invalid:
        text = _error_text(contact_import.headers, (e for errors in invalid for e in errors))
        header = _error_text(contact_import.headers, [])
        default_storage.save(name, ContentFile(text.removeprefix(header).encode()))


def _error_pieces(contact_import: ContactImport) -> list[str]:
    folder = _pieces_folder(contact_import)
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{name}" for name in sorted(names)]


def _join_error_pieces(contact_import: ContactImport) -> str:
    """The invalid rows of every committed batch as one CSV (UTF-8 with a BOM, for
    Excel); its storage name, or "" when every row was valid."""
    pieces = [
        name
        for name in _error_pieces(contact_import)
        if int(PurePosixPath(name).stem) < contact_import.rows_done
    ]
    if not pieces:
        return ""
    name = f"parrain/imports/{contact_import.pk}/invalid-rows.csv"
    if default_storage.exists(name):
        default_storage.delete(name)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as joined:
        joined.write(_error_text(contact_import.headers, []).encode("utf-8-sig"))
        for piece in pieces:
            with default_storage.open(piece, "rb") as handle:
                shutil.copyfileobj(handle, joined)
        joined.seek(0)
        return default_storage.save(name, File(joined, name="invalid-rows.csv"))


def _discard_files(contact_import: ContactImport, *, keep_errors: bool) -> None:
    """Data minimisation: the source file goes once the import is over (its contacts are
    in the database), and the error pieces once joined."""
    for name in _error_pieces(contact_import):
        default_storage.delete(name)
    fields: dict[str, str] = {}
    if contact_import.file:
        contact_import.file.delete(save=False)
        fields["file"] = ""
    if not keep_errors:
        joined = ContactImport.objects.get(pk=contact_import.pk).error_file
        if joined:
            joined.delete(save=False)
            fields["error_file"] = ""
    if fields:
        ContactImport.objects.filter(pk=contact_import.pk).update(**fields)


# -- rows already parsed (server API, Oscar) -----------------------------------------------


def import_rows(
    program: Program,
    rows: Iterable[ContactRow],
    *,
    source: ImportSource,
    actor: str,
    take_slot: bool | None = None,
    batch: int | None = None,
    progress: Progress | None = None,
) -> tuple[ContactImport | None, BatchResult]:
    """Rows already parsed (server API bulk, Oscar import): one ContactImport row records
    them, the same engine writes them, in batches of ``BATCH``.

    ``take_slot`` (default: all but the API): the import holds the program's import slot
    (:class:`ImportBusy` if taken) and commits batch by batch, counters with each; an error
    marks it FAILED. Without it (the API's synchronous request) call it inside one
    transaction: the import row appears DONE with its contacts, or not at all (nor
    without rows)."""
    outcome = sync_rows(
        program,
        rows,
        source=source,
        actor=actor,
        take_slot=take_slot,
        batch=batch,
        progress=progress,
        outcomes=False,
    )
    return outcome.contact_import, outcome.result


@dataclass
class RowOutcome:
    """One row of ``sync_rows``: "created" or "updated" with the contact id, or "error"."""

    status: str
    contact_id: int | None = None
    errors: list[RowError] | None = None


@dataclass
class SyncOutcome:
    contact_import: ContactImport | None  # None: no row was valid (without take_slot)
    result: BatchResult
    rows: dict[int, RowOutcome]  # by ContactRow.row


def sync_rows(
    program: Program,
    rows: Iterable[ContactRow | Pending],
    *,
    source: ImportSource,
    actor: str,
    take_slot: bool | None = None,
    batch: int | None = None,
    progress: Progress | None = None,
    outcomes: bool = True,
    vouched: bool = False,
    by_email: bool = False,
    sms_consents: Map[int, tuple[bool, str]] | None = None,
    parse: Callable[[Pending], ContactRow | list[RowError]] | None = None,
) -> SyncOutcome:
    """``import_rows`` with, per row (``outcomes``), created or updated and the contact id.
    ``vouched``: the shop answers for the addresses. ``by_email`` (the API's contract):
    a row whose external id belongs to the contact of another email is refused alone.
    ``sms_consents``: {row: (given, source)}, the SMS answers some rows carry (read once
    the batch's rows are parsed).

    ``rows`` may be :class:`Pending` (raw rows, with ``parse``): those an import would
    count unchanged are not parsed (answered "updated" with their contact); the others are
    parsed in their batch, a refused one answered with its errors (and not counted in the
    import's rows, as a row refused before the import). Without ``take_slot`` the import
    record is created with the first batch holding a valid row (none: no import)."""
    take_slot = source != ImportSource.API if take_slot is None else take_slot
    size = batch or batch_size()
    contact_import = _open_import(program, source, actor, take_slot=True) if take_slot else None
    total, by_row = BatchResult(), {}
    iterator = iter(rows)
    with collector_spared():
        try:
            while chunk := list(islice(iterator, size)):
                spared_rows(len(chunk))
                with transaction.atomic():
                    # One lookup of the contacts the rows name serves the API's rules, the
                    # outcomes and the engine (six per batch before: half a re-import).
                    light = parse is not None and any(isinstance(r, Pending) for r in chunk)
                    stored = engine.Stored(program, chunk, light=light)
                    skipped = stored.skip_unchanged(chunk)
                    parsed, errors, unchanged = _parsed(chunk, skipped, parse)
                    refused = _moved_external_ids(stored, parsed) if by_email else {}
                    if by_email:
                        _drop_repeated_consents(stored, parsed)
                    valid = [row for row in parsed if row.row not in refused]
                    if contact_import is None:
                        if not parsed and not unchanged:
                            by_row.update(_outcomes([], {}, {}, errors))
                            continue
                        contact_import = _open_import(program, source, actor, take_slot=False)
                    known = stored.original("email_normalized", "email") if outcomes else {}
                    result = engine.apply_batch(
                        program,
                        valid,
                        contact_import=contact_import,
                        actor=actor,
                        verified_at=timezone.now() if vouched else None,
                        stored=stored,
                    )
                    result.unchanged += len(unchanged)
                    for number, reason in result.refused:
                        refused[number] = [RowError(number, "external_id", reason)]
                    valid = [row for row in valid if row.row not in refused] + unchanged
                    if outcomes or vouched or sms_consents:
                        after = _contact_ids(valid, result.ids)
                        by_row.update(_outcomes(valid, known, after, {**errors, **refused}))
                        if vouched:  # those it created already are
                            _vouch(_unverified(stored, after.values()))
                        if sms_consents:
                            _record_sms_consents(program, valid, after, sms_consents)
                    total += result
                    _count_rows(contact_import, len(chunk) - len(errors), result, refused)
                if progress is not None:
                    progress(contact_import)
        except Exception as exc:
            if take_slot:
                _fail(contact_import, ImportStatus.RUNNING, repr(exc)[:2000], dry_run=False)  # type: ignore[arg-type]
            raise
    if contact_import is not None:
        _close_import(contact_import, total, take_slot=take_slot)
    return SyncOutcome(contact_import, total, by_row)


def _parsed(
    chunk: list[ContactRow | Pending],
    skipped: set[int],
    parse: Callable[[Pending], ContactRow | list[RowError]] | None,
) -> tuple[list[ContactRow], dict[int, list[RowError]], list[Pending]]:
    """(rows parsed valid, {row: errors} of those refused, rows skipped unchanged)."""
    valid: list[ContactRow] = []
    errors: dict[int, list[RowError]] = {}
    unchanged: list[Pending] = []
    for item in chunk:
        if isinstance(item, ContactRow):
            valid.append(item)
        elif item.row in skipped:
            unchanged.append(item)
        else:
            row = parse(item)  # type: ignore[misc]
            if isinstance(row, ContactRow):
                row.digest = item.digest
                valid.append(row)
            else:
                errors[item.row] = row
    return valid, errors, unchanged


def _open_import(
    program: Program, source: ImportSource, actor: str, *, take_slot: bool
) -> ContactImport:
    now = timezone.now()
    fields = {"program": program, "source": source, "actor": actor[:120], "started_at": now}
    if not take_slot:
        return ContactImport.objects.create(status=ImportStatus.UPLOADED, **fields)
    try:
        with transaction.atomic():
            return ContactImport.objects.create(
                status=ImportStatus.RUNNING, heartbeat_at=now, **fields
            )
    except IntegrityError as exc:
        raise ImportBusy() from exc


def _count_rows(
    contact_import: ContactImport, count: int, result: BatchResult, refused: dict
) -> None:
    ContactImport.objects.filter(pk=contact_import.pk).update(
        rows_done=F("rows_done") + count,
        new_count=F("new_count") + result.new,
        updated_count=F("updated_count") + result.updated,
        unchanged_count=F("unchanged_count") + result.unchanged,
        invalid_count=F("invalid_count") + len(refused),
        heartbeat_at=timezone.now(),
    )
    contact_import.refresh_from_db()


def _close_import(contact_import: ContactImport, total: BatchResult, *, take_slot: bool) -> None:
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ImportStatus.DONE,
        finished_at=timezone.now(),
        total_rows=F("rows_done"),
        heartbeat_at=None,
    )
    contact_import.refresh_from_db()
    audit.record(
        contact_import.program,
        "contacts.imported",
        actor=contact_import.actor or "import",
        import_id=contact_import.pk,
        source=contact_import.source,
        new=total.new,
        updated=total.updated,
        unchanged=total.unchanged,
        invalid=contact_import.invalid_count,
    )
    _announce(contact_import)


def _keys(row: ContactRow | Pending) -> str:
    return normalize_email(row.email or "")


def _contact_ids(rows: Sequence[ContactRow | Pending], ids: dict[str, int]) -> dict[str, int]:
    """{email: contact id} of ``rows``, from the engine's ``ids`` of the batch."""
    out = {}
    for row in rows:
        if row.email:
            key = _keys(row)
            if key in ids:
                out[key] = ids[key]
    return out


def _unverified(stored: engine.Stored, ids: Iterable[int]) -> list[int]:
    """Of ``ids``, the contacts stored with an unconfirmed address."""
    wanted = set(ids)
    return [s.id for s in stored.states if not s.verified and s.id in wanted]  # type: ignore[misc]


def _outcomes(
    rows: Sequence[ContactRow | Pending],
    known: Map[str, Any],
    after: dict[str, int],
    refused: dict[int, list[RowError]],
) -> dict[int, RowOutcome]:
    outcomes: dict[int, RowOutcome] = {
        row: RowOutcome("error", errors=errors) for row, errors in refused.items()
    }
    seen: set[str] = set()
    for row in rows:
        email = _keys(row)
        created = email not in known and email not in seen
        seen.add(email)
        outcomes[row.row] = RowOutcome("created" if created else "updated", after.get(email))
    return outcomes


def _moved_external_ids(
    stored: engine.Stored, rows: Sequence[ContactRow]
) -> dict[int, list[RowError]]:
    """Rows whose external id already belongs to a contact with another email."""
    if not any(row.external_id and row.email for row in rows):
        return {}
    owners = stored.original("external_id", "email_normalized")
    reason = str(_("This external id already belongs to another contact."))
    return {
        row.row: [RowError(row.row, "external_id", reason)]
        for row in rows
        if row.external_id in owners and owners[row.external_id] != _keys(row)
    }


def _drop_repeated_consents(stored: engine.Stored, rows: Sequence[ContactRow]) -> None:
    """An API row's consent is dated now, so it would always win: the same answer as the
    one stored is no new consent (a nightly sync re-sends every contact's)."""
    consents = stored.original("email_normalized", "consent_recontact")
    for row in rows:
        if row.consent is not None and consents.get(_keys(row)) is row.consent:
            row.consent = row.consent_at = row.consent_source = None


def _record_sms_consents(
    program: Program,
    rows: Sequence[ContactRow | Pending],
    ids: dict[str, int],
    consents: Map[int, tuple[bool, str]],
) -> None:
    """The SMS answers (the API's ``sms_consent``), through the consent service: only
    the rows that carry one, each recorded (and audited) when it changes something."""
    wanted = {ids[_keys(row)]: consents[row.row] for row in rows if row.row in consents}
    # what each record's receivers read once per batch (the webhook endpoints)
    with batch_scope():
        for contact in Contact.objects.filter(pk__in=wanted).select_related("program"):
            given, source = wanted[contact.pk]
            record_sms_consent(contact, given, source)


def row_from_contact_data(row: int, data: ContactData, now: datetime | None = None) -> ContactRow:
    """A server API contact (``PUT /contacts``' body) as an import row: an empty field
    says nothing; a consent given through the API is dated ``now`` (the request's)."""
    return ContactRow(
        row=row,
        email=data.email,
        external_id=data.external_id or None,
        first_name=data.first_name or None,
        last_name=data.last_name or None,
        phone=data.phone or None,
        language=data.language or None,
        is_customer=True if data.is_customer or data.first_order_at else None,
        first_order_at=data.first_order_at,
        consent=data.consent_recontact,
        consent_at=(now or timezone.now()) if data.consent_recontact is not None else None,
        consent_source=data.consent_source if data.consent_recontact is not None else None,
    )


def pending_api_rows(rows: Sequence[Any]) -> list[Pending]:
    """The server API's bulk rows (JSON objects, not validated yet) as :class:`Pending`
    rows for ``sync_rows``: keys as validation would give them, and a digest of the object
    (keyed by the phone region, which validation reads) unless it carries an SMS answer
    (recorded through the consent service, never skipped) or a consent that is no
    yes/no. A consent is dated by each request: its row is skipped only while the contact
    holds that very answer (the API's rule that the same answer is no new consent)."""
    key = digests.digest_key("api", parrain_settings.PHONE_REGION) if engine.skipping() else None
    digest = digests.row_digester(key) if key else None
    pending = []
    for index, raw in enumerate(rows):
        email = ext = row_digest = None
        expect: tuple[tuple[str, Any], ...] = ()
        if isinstance(raw, dict):
            email, ext = _stripped(raw.get("email")), _stripped(raw.get("external_id"))
            consent = raw.get("consent_recontact")
            yes_no = consent is None or isinstance(consent, bool)
            if digest and raw.get("sms_consent") is None and yes_no:
                row_digest = digest(raw)
                if consent is not None:
                    expect = (("consent_recontact", consent),)
        pending.append(Pending(index, email, ext, row_digest, raw, expect))
    return pending


def _stripped(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _vouch(contact_ids: Iterable[int]) -> None:
    ids, now = list(contact_ids), timezone.now()
    if not ids:
        return
    if connection.vendor != "postgresql":
        Contact.objects.filter(pk__in=ids, email_verified_at__isnull=True).update(
            email_verified_at=now
        )
        return
    match, values = engine.any_of(map(str, ids), "::bigint[]")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Contact._meta.db_table} SET email_verified_at = %s "  # nosec B608 # our table name
            f"WHERE id = ANY({match}) AND email_verified_at IS NULL",
            [now, values],
        )


__all__ = [
    "ACTIVE_IMPORT_STATUSES",
    "BATCH",
    "MAX_ROWS",
    "ImportBusy",
    "ImportRefused",
    "RowOutcome",
    "SyncOutcome",
    "cancel",
    "check",
    "confirm",
    "import_rows",
    "pending_api_rows",
    "resume_orphaned",
    "retry",
    "row_from_contact_data",
    "run",
    "set_mapping",
    "start",
    "sync_rows",
]
