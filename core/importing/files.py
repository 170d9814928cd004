"""Customer files: CSV in any delimiter and common encoding, or XLSX, streamed row by row.

The kind is read from the content: an XLSX file is a zip holding ``xl/workbook.xml``;
anything else must be text. A CSV's encoding is UTF-8 (BOM or not) when every byte decodes
as such, else Windows-1252, else Latin-1 (the five bytes Windows-1252 leaves undefined);
a UTF-16 file with a BOM (Excel's "Unicode text") is read too. The delimiter is the one of
``, ; tab |`` that splits the first lines into the same number of cells, quotes respected;
a first line such as ``sep=;`` (Excel's way to name it, any one character) gives it
instead, and is skipped: Excel hides it, so the rows are numbered as Excel shows them.
The header row is the first non-blank row. An XLSX file's first sheet is read by
:mod:`.xlsx` (openpyxl for the workbook's parts, its rows cut fast), or by openpyxl's
read-only worksheet for the rare sheets that module declines.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from django.utils.translation import gettext as _

from . import xlsx

#: A cell as read: text from a CSV; from an XLSX, what openpyxl gives (str, int, float,
#: bool, datetime, None).
Cell = object

DELIMITERS = (",", ";", "\t", "|")
#: Bytes read to find the kind, and text lines read to find the delimiter.
SAMPLE_BYTES = 64 * 1024
SAMPLE_LINES = 50
CHUNK = 1024 * 1024
#: Bytes Windows-1252 leaves undefined: a file holding one is read as Latin-1.
_CP1252_HOLES = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_XLSX_WORKBOOK = "xl/workbook.xml"
_TEXT_CONTROLS = bytes(range(32)).translate(None, b"\t\n\r\x0c\x1a")
#: Excel's first line naming the delimiter: ``sep=;`` (some tools quote it: ``"sep=;"``).
_SEP_LINE = re.compile(r'"?sep=(.)"?[\r\n]*', re.IGNORECASE)


class FileError(ValueError):
    """The file cannot be read as a customer file; ``str(error)`` says why, for a user."""


@dataclass(frozen=True)
class FileInfo:
    kind: Literal["csv", "xlsx"]
    headers: list[str]
    encoding: str = ""  # CSV only: "utf-8", "utf-8-sig", "cp1252", "latin-1" or "utf-16"
    delimiter: str = ""  # CSV only
    header_row: int = 1  # the header's row number as the spreadsheet shows it (1-based)
    sep_line: bool = False  # CSV only: a ``sep=`` first line names the delimiter, skipped
    # XLSX only: the data rows the sheet's ``<dimension>`` declares below the header (blank
    # rows inside included), None when it declares none. Read without reading the rows.
    declared_rows: int | None = None


def inspect(file: IO[bytes] | Path, name: str) -> FileInfo:
    """Detect the kind (by content, the name only breaks ties), encoding, delimiter and
    header row. Raises :class:`FileError` for an empty, binary or unreadable file."""
    with _opened(file) as stream:
        head = stream.read(SAMPLE_BYTES)
        stream.seek(0)
        if not head.strip():
            raise FileError(_("The file is empty."))
        if head.startswith(b"PK\x03\x04"):
            return _inspect_xlsx(stream)
        _refuse_binary(head, name)
        encoding = _detect_encoding(stream, head)
        stream.seek(0)
        tabs = name.lower().endswith((".tsv", ".tab"))
        sample = _sample_text(stream, encoding)
        named = _SEP_LINE.fullmatch(sample.splitlines(keepends=True)[0] if sample else "")
        if named:
            delimiter = named.group(1)
        else:
            delimiter = _sniff_delimiter(sample, prefer="\t" if tabs else ",")
        stream.seek(0)
        info = FileInfo("csv", [], encoding=encoding, delimiter=delimiter, sep_line=bool(named))
        header_row, headers = _header(_csv_records(stream, info))
        return FileInfo("csv", headers, encoding, delimiter, header_row, sep_line=bool(named))


def iter_rows(file: IO[bytes] | Path, info: FileInfo, *, start: int = 0) -> Iterator[list[Cell]]:
    """The data rows (header excluded), from the ``start``-th on (0-based), in constant
    memory. Blank rows are skipped but still counted in the numbering callers compute."""
    for _number, cells in iter_numbered_rows(file, info, start=start):
        yield cells


def iter_numbered_rows(
    file: IO[bytes] | Path, info: FileInfo, *, start: int = 0
) -> Iterator[tuple[int, list[Cell]]]:
    """``(row number as the spreadsheet shows it, cells)`` for each non-blank data row,
    the ``start`` first ones (0-based, blank rows not counted) skipped. Rows are padded or
    cut to the headers' width."""
    width = len(info.headers)
    with _opened(file) as stream:
        records = _records(stream, info)
        data = itertools.islice(records, info.header_row, None)  # header_row is 1-based
        number = info.header_row
        skip = start
        for cells in data:
            number += 1
            if _blank(cells):
                continue
            if skip:
                skip -= 1
                continue
            if len(cells) != width:
                cells = (cells + [None] * width)[:width]
            yield number, cells


def count_rows(file: IO[bytes] | Path, info: FileInfo) -> int:
    """How many data rows ``iter_rows`` yields."""
    with _opened(file) as stream:
        records = itertools.islice(_records(stream, info), info.header_row, None)
        return sum(1 for cells in records if not _blank(cells))


# -- opening ------------------------------------------------------------------------------


@contextmanager
def _opened(file: IO[bytes] | Path) -> Iterator[IO[bytes]]:
    if isinstance(file, Path):
        try:
            with file.open("rb") as stream:
                yield stream
        except FileNotFoundError as exc:
            raise FileError(_("The file is missing.")) from exc
        return
    file.seek(0)
    yield file


def _records(stream: IO[bytes], info: FileInfo) -> Iterator[list[Cell]]:
    if info.kind == "xlsx":
        return _xlsx_records(stream)
    return _csv_records(stream, info)  # type: ignore[return-value]


def _blank(cells: list[Cell]) -> bool:
    for cell in cells:
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return False
    return True


def _header(records: Iterator[list[Cell]]) -> tuple[int, list[str]]:
    for number, cells in enumerate(records, start=1):
        if _blank(cells):
            continue
        headers = [("" if cell is None else str(cell)).strip() for cell in cells]
        while headers and not headers[-1]:
            headers.pop()
        _check_headers(headers)
        return number, headers
    raise FileError(_("The file has no header row (every row is blank)."))


def _check_headers(headers: list[str]) -> None:
    missing = [str(i + 1) for i, header in enumerate(headers) if not header]
    if missing:
        raise FileError(
            _("The header row has no name in column(s) %(columns)s; name every column.")
            % {"columns": ", ".join(missing)}
        )
    counts = Counter(header.casefold() for header in headers)
    twice = [header for header in headers if counts[header.casefold()] > 1]
    if twice:
        raise FileError(
            _("The header row names a column more than once: %(names)s.")
            % {"names": ", ".join(sorted(set(twice)))}
        )


# -- CSV ----------------------------------------------------------------------------------


def _refuse_binary(head: bytes, name: str) -> None:
    if head.startswith(b"%PDF"):
        raise FileError(_("This is a PDF file, not a customer file: upload a CSV or XLSX file."))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileError(
            _("This is an old Excel (.xls) file: save it as .xlsx or CSV and upload it again.")
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    controls = sum(head.count(byte) for byte in _TEXT_CONTROLS)
    if b"\x00" in head or controls > len(head) // 100:
        raise FileError(
            _("%(name)s is not a text (CSV) or XLSX file: upload a CSV or XLSX file.")
            % {"name": name or _("This file")}
        )


def _detect_encoding(stream: IO[bytes], head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    holes = False
    while chunk := stream.read(CHUNK):
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
        if not holes and not chunk.isascii():
            holes = any(hole in chunk for hole in _CP1252_HOLES)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if utf8:
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    return "latin-1" if holes else "cp1252"


def _text(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(stream, encoding=encoding, newline="", errors="replace")


def _sample_text(stream: IO[bytes], encoding: str) -> str:
    text = _text(stream, encoding)
    try:
        return "".join(itertools.islice(text, SAMPLE_LINES))
    finally:
        text.detach()


def _sniff_delimiter(sample: str, prefer: str = ",") -> str:
    """The delimiter that splits most sample lines into the same number (> 1) of cells;
    ``prefer`` (from the file's name) on a tie and for a one-column file."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut its last line
    best, best_score = prefer, (0, 0)
    for delimiter in sorted(DELIMITERS, key=lambda candidate: candidate != prefer):
        widths = [len(cells) for cells in csv.reader(lines, delimiter=delimiter) if any(cells)]
        if not widths:
            continue
        width, agreeing = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_records(stream: IO[bytes], info: FileInfo) -> Iterator[list[str]]:
    text = _text(stream, info.encoding)
    try:
        if info.sep_line:
            text.readline()  # "sep=;": not a row
        yield from csv.reader(text, delimiter=info.delimiter)
    except csv.Error as exc:
        raise FileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc
    finally:
        text.detach()


# -- XLSX ---------------------------------------------------------------------------------


def _inspect_xlsx(stream: IO[bytes]) -> FileInfo:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise FileError(_("The file looks like an XLSX file but is damaged.")) from exc
    if _XLSX_WORKBOOK not in names:
        raise FileError(
            _("This is a zip archive, not an XLSX workbook: upload a CSV or XLSX file.")
        )
    stream.seek(0)
    sheet = _open_sheet(stream)
    try:
        last = sheet.last_row()
    except (ValueError, LookupError, zipfile.BadZipFile) as exc:
        sheet.close()
        raise FileError(_("The XLSX file cannot be read: it may be damaged.")) from exc
    header_row, headers = _header(_sheet_records(stream, sheet))
    declared = None if last is None else max(last - header_row, 0)
    return FileInfo("xlsx", headers, header_row=header_row, declared_rows=declared)


def _open_sheet(stream: IO[bytes]) -> xlsx.Sheet:
    try:
        return xlsx.Sheet(stream)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FileError(_("The XLSX file cannot be read: it may be damaged.")) from exc


def _xlsx_records(stream: IO[bytes]) -> Iterator[list[Cell]]:
    """The first sheet's rows, rows the sheet never wrote given as blank rows so that
    numbering stays right. Read by :mod:`.xlsx` (openpyxl for the workbook's parts, the
    sheet's rows cut fast), or by openpyxl alone for the sheets that one declines."""
    return _sheet_records(stream, _open_sheet(stream))


def _sheet_records(stream: IO[bytes], sheet: xlsx.Sheet) -> Iterator[list[Cell]]:
    try:
        if sheet.path is None:
            raise FileError(_("The XLSX file has no sheet."))
        rows = sheet.rows()
        try:
            first = next(rows, None)
        except xlsx.Unsupported:
            stream.seek(0)
            yield from _openpyxl_records(stream)
            return
        expected = 1
        for number, values in itertools.chain([first] if first else [], rows):
            while expected < number:
                yield []
                expected += 1
            expected = number + 1
            yield values
    except FileError:
        raise
    except (ValueError, LookupError, zipfile.BadZipFile) as exc:
        raise FileError(_("The XLSX file cannot be read: it may be damaged.")) from exc
    finally:
        sheet.close()


def _openpyxl_records(stream: IO[bytes]) -> Iterator[list[Cell]]:
    """The same rows through openpyxl's read-only worksheet (which gives the rows the sheet
    never wrote as blank rows)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FileError(_("The XLSX file cannot be read: it may be damaged.")) from exc
    try:
        if not workbook.worksheets:
            raise FileError(_("The XLSX file has no sheet."))
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a wrong stored size would cut or pad rows
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()
