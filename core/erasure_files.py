"""Erasure in the contact imports' stored files (issue 14): the uploaded or fetched customer
file (kept while its import runs), the file of invalid rows (kept for the shop owner) and,
while an import runs, the pieces of it each committed batch wrote.

A line is *the person's* when one of its cells holds their email (any alias of the mailbox),
their phone however written, or is their external id (:meth:`PersonalData.identifies`): a
name alone never decides, another Zoé keeps her line. The other lines are written back as
they were, so the file stays usable:

- in the file of invalid rows and its pieces, the person's lines go;
- in a customer file, the person's cells are emptied but the line stays: an import resumes
  by row number, and a blank row is counted but skipped.

Each rewritten file is saved under a new name in its folder and the import row points at it;
the old file is deleted. The erasure's transaction is still open: if a file cannot be
rewritten, nothing of the erasure is kept and it can be run again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile

from .erasure import PersonalData
from .models import ContactImport

#: Delimiters an error file or a customer file may use (the import detects the same ones).
DELIMITERS = ",;\t|"
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def scrub_import_files(imports: Iterable[ContactImport], people: list[PersonalData]) -> int:
    """Rewrite every stored file of ``imports`` without these people; returns how many
    imports changed. Each file is read once, whatever the number of people."""
    if not people:
        return 0
    personal = _Anyone(people)
    changed = 0
    for contact_import in imports:
        updates = {}
        if contact_import.error_file and _rewrite(contact_import.error_file, personal, drop=True):
            updates["error_file"] = contact_import.error_file.name
        if contact_import.file and _rewrite(contact_import.file, personal, drop=False):
            updates["file"] = contact_import.file.name
        pieces = [_rewrite_in_place(name, personal) for name in _error_pieces(contact_import)]
        if updates:
            ContactImport.objects.filter(pk=contact_import.pk).update(**updates)
        changed += bool(updates) or any(pieces)
    return changed


def _error_pieces(contact_import: ContactImport) -> list[str]:
    """The invalid rows of a running import's committed batches, not yet joined."""
    from .services.contact_imports import _error_pieces as pieces

    return pieces(contact_import)


def _rewrite_in_place(name: str, personal: _Anyone) -> bool:
    """An error piece keeps its name: the pieces are joined in the order of their names."""
    with default_storage.open(name, "rb") as handle:
        new = _csv_without(handle.read(), personal, drop=True)
    if new is None:
        return False
    default_storage.delete(name)
    default_storage.save(name, ContentFile(new))
    return True


class _Anyone:
    """Several people at once, for ``identifies`` only."""

    def __init__(self, people: list[PersonalData]) -> None:
        self.people = people

    def identifies(self, text: str) -> bool:
        return any(person.identifies(text) for person in self.people)


def _rewrite(stored: FieldFile, personal: _Anyone, *, drop: bool) -> bool:
    """Write the file back without the person; False when it never mentioned them or is gone."""
    if not stored.storage.exists(stored.name):
        return False
    with stored.open("rb") as handle:
        content = handle.read()
    if content[:2] == b"PK":
        new = _xlsx_without(content, personal)
    else:
        new = _csv_without(content, personal, drop=drop)
    if new is None:
        return False
    old_name = stored.name
    stored.name = stored.storage.save(old_name, ContentFile(new))  # same folder, new name
    stored.storage.delete(old_name)
    return True


def _decode(content: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte")  # pragma: no cover


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _csv_without(content: bytes, personal: _Anyone, *, drop: bool) -> bytes | None:
    text, encoding = _decode(content)
    if not any(personal.identifies(line) for line in text.splitlines()):
        return None
    delimiter = _delimiter(text)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if any(personal.identifies(cell) for cell in record):
            if drop:
                continue
            record = ["" for _cell in record]
        writer.writerow(record)
    bom = "\ufeff" if encoding == "utf-8-sig" and text.startswith("\ufeff") else ""
    body = out.getvalue().removeprefix("\ufeff")
    return (bom + body).encode("utf-8" if encoding == "utf-8-sig" else encoding, "replace")


def _xlsx_without(content: bytes, personal: _Anyone) -> bytes | None:
    """Empty the person's cells in every sheet (an XLSX is only ever a customer file)."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    found = False
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            if any(_identifies(cell.value, personal) for cell in row):
                found = True
                for cell in row:
                    cell.value = None
    if not found:
        return None
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _identifies(value: Any, personal: _Anyone) -> bool:
    return value is not None and personal.identifies(str(value))
