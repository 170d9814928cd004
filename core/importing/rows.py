"""One file row to a validated contact row, or the reasons it is refused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import IO

from .files import Cell
from .mapping import Mapping


@dataclass
class ContactRow:
    """A row ready for the engine; ``None`` means "the file says nothing" (never clears)."""

    row: int  # as the spreadsheet numbers it (header = 1)
    email: str | None = None  # as typed, stripped; the engine normalises
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None  # E.164
    language: str | None = None  # one of the program's languages
    is_customer: bool | None = None
    first_order_at: datetime | None = None  # aware
    total_spent: Decimal | None = None
    consent: bool | None = None
    consent_at: datetime | None = None  # aware
    consent_source: str | None = None  # free text from the file, kept in the record
    loyalty_points: int | None = None  # the balance in the shop's old system
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the file's header
    reason: str  # translated, for the shop owner
    values: tuple[str, ...] = ()  # the row's cells as text, for the error file


def parse(
    row_number: int,
    cells: list[Cell],
    headers: list[str],
    mapping: Mapping,
    *,
    languages: list[str],
    phone_region: str,
    tz: str,
) -> ContactRow | list[RowError]:
    """Validate and normalise one row (dates in many formats and Excel serials, read in
    the program's time zone ``tz``; yes/no in FR and EN; decimals with , or .)."""
    raise NotImplementedError


def write_error_file(out: IO[str], headers: list[str], errors: Iterable[RowError]) -> int:
    """The invalid rows as CSV (the original columns plus ``error``), every cell through
    ``exports.neutralise_formula``; returns how many rows were written."""
    raise NotImplementedError
