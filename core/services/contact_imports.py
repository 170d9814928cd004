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
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from ..exceptions import ParrainError
from ..importing.engine import BatchResult
from ..importing.mapping import Mapping
from ..importing.rows import ContactRow
from ..models import ContactImport, Program
from ..models.choices import ImportSource

#: Rows per committed batch.
BATCH = 5_000
#: Rows at most in one file.
MAX_ROWS = 500_000


class ImportBusy(ParrainError):
    """Another import of this program is checking or running."""


class ImportRefused(ParrainError):
    """The file or mapping cannot be imported; the message says why, for a user."""


def start(
    program: Program,
    upload: IO[bytes],
    name: str,
    *,
    actor: str,
    source: ImportSource = ImportSource.FILE,
) -> ContactImport:
    """Store the file and its headers, with the saved or guessed mapping (UPLOADED)."""
    raise NotImplementedError


def set_mapping(contact_import: ContactImport, mapping: Mapping, *, actor: str) -> ContactImport:
    """Check and keep the mapping, and save it on the program for the next import."""
    raise NotImplementedError


def check(contact_import: ContactImport, *, actor: str) -> ContactImport:
    """Start the dry run (CHECKING → CHECKED); small files are checked at once."""
    raise NotImplementedError


def confirm(contact_import: ContactImport, *, actor: str) -> ContactImport:
    """Queue the real import (QUEUED); the task ``run_contact_import`` runs it."""
    raise NotImplementedError


def cancel(contact_import: ContactImport, *, actor: str) -> ContactImport:
    """Stop an import that has not finished; batches already committed stay."""
    raise NotImplementedError


def run(import_id: int, *, dry_run: bool = False) -> ContactImport:
    """The task body: check or import from ``rows_done`` on, batch by batch."""
    raise NotImplementedError


def import_rows(
    program: Program,
    rows: Iterable[ContactRow],
    *,
    source: ImportSource,
    actor: str,
) -> tuple[ContactImport, BatchResult]:
    """Rows already parsed (server API bulk, Oscar import): one ContactImport row records
    them, the same engine writes them, in batches of ``BATCH``."""
    raise NotImplementedError
