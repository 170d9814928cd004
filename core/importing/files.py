"""Customer files: CSV in any delimiter and common encoding, or XLSX, streamed row by row."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

#: A cell as read: text from a CSV; from an XLSX, what openpyxl gives (str, int, float,
#: bool, datetime, None).
Cell = object


class FileError(ValueError):
    """The file cannot be read as a customer file; ``str(error)`` says why, for a user."""


@dataclass(frozen=True)
class FileInfo:
    kind: Literal["csv", "xlsx"]
    headers: list[str]
    encoding: str = ""  # CSV only: "utf-8", "utf-8-sig", "cp1252" or "latin-1"
    delimiter: str = ""  # CSV only


def inspect(file: IO[bytes] | Path, name: str) -> FileInfo:
    """Detect the kind (by content, the name only breaks ties), encoding, delimiter and
    header row. Raises :class:`FileError` for an empty, binary or unreadable file."""
    raise NotImplementedError


def iter_rows(file: IO[bytes] | Path, info: FileInfo, *, start: int = 0) -> Iterator[list[Cell]]:
    """The data rows (header excluded), from the ``start``-th on (0-based), in constant
    memory. Blank rows are skipped but still counted in the numbering callers compute."""
    raise NotImplementedError


def count_rows(file: IO[bytes] | Path, info: FileInfo) -> int:
    """How many data rows ``iter_rows`` yields."""
    raise NotImplementedError
