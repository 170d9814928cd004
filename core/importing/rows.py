"""One file row to a validated contact row, or the reasons it is refused.

:func:`make_parser` does the per-import work once (which column goes where, the converter
of each, the time zone) and returns a callable an import runs on every row; :func:`parse`
is the one-row form. Converters are small functions raising :class:`_Invalid` with the
reason; values that repeat across a file (dates, phones) are cached by their text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import IO, Any
from zoneinfo import ZoneInfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from ..exports import neutralise_formula
from ..phones import E164, known_valid_e164
from .digests import digest_key, row_digester
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
    # The raw row's digest (``digests.row_digest``), left on the contact it names so that
    # the same raw row is counted unchanged next time without being parsed.
    digest: bytes | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class Pending:
    """An import row before it is parsed: its keys (as parsing would give them, before the
    engine normalises them) and its digest, enough to tell, with ``engine.unchanged``, whether
    a full import would count it unchanged. ``source``: the raw row, for the caller's
    parser. ``expect``: stored values the contact must hold for the row to be skipped
    (the server API's consent, dated at each request); ``points``: the loyalty balance the
    row carries (its cell, read by ``loyalty_balance`` only for a row that may be
    skipped), which what imports brought so far must equal."""

    row: int
    email: str | None
    external_id: str | None
    digest: bytes | None  # None: the row is always parsed
    source: Any = None
    expect: tuple[tuple[str, Any], ...] = ()
    points: object = None


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the file's header
    reason: str  # translated, for the shop owner
    values: tuple[str, ...] = ()  # the row's cells as text, for the error file


#: ContactRow's fields after ``row``, in order (positional construction is the fast one).
_SLOTS = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "phone",
    "language",
    "is_customer",
    "first_order_at",
    "total_spent",
    "consent",
    "consent_at",
    "consent_source",
    "loyalty_points",
    "tags",
)

RowParser = Callable[[int, list[Cell]], "ContactRow | list[RowError]"]


class _Invalid(ValueError):
    """A cell's value is refused; ``args[0]`` is the reason, translated."""


# -- converters -----------------------------------------------------------------------------

_MAX_TEXT = {"email": 254, "external_id": 120, "first_name": 120, "last_name": 120}
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_validate_email = EmailValidator()


def _text(cell: Cell) -> str:
    """A cell as text: numbers Excel stores as floats lose their ``.0``."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    return str(cell)


def _email(cell: Cell) -> str:
    text = (cell if cell.__class__ is str else _text(cell)).strip()  # type: ignore[attr-defined]
    if len(text) > 254:
        raise _Invalid(_("longer than %(max)d characters") % {"max": 254})
    if _EMAIL.fullmatch(text) is None:
        try:
            _validate_email(text)  # internationalised domains, quoted local parts
        except ValidationError:
            raise _Invalid(_("not an email address")) from None
    return text


def _limited(key: str) -> Callable[[Cell], str]:
    limit = _MAX_TEXT.get(key, 255)

    def convert(cell: Cell) -> str:
        text = (cell if cell.__class__ is str else _text(cell)).strip()  # type: ignore[attr-defined]
        if len(text) > limit:
            raise _Invalid(_("longer than %(max)d characters") % {"max": limit})
        return text

    return convert


_PHONE_JUNK = str.maketrans("", "", " .-()/\u00a0\u202f")


@lru_cache(maxsize=200_000)
def _phone_e164(text: str, region: str) -> str | None:
    """The E.164 form, or ``None`` when ``text`` is not a valid number. Cached: the same
    numbers (and the same junk) come back in one file and from one import to the next."""
    if E164.fullmatch(text) and known_valid_e164(text):
        return text  # phonenumbers' answer, from its metadata without its parser
    compact = text.translate(_PHONE_JUNK)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(region: str) -> Callable[[Cell], str]:
    def convert(cell: Cell) -> str:
        number = _phone_e164(_text(cell).strip(), region)
        if number is None:
            raise _Invalid(_("not a phone number for %(region)s") % {"region": region})
        return number

    return convert


_LANGUAGE_NAMES = {
    "francais": "fr",
    "français": "fr",
    "french": "fr",
    "anglais": "en",
    "english": "en",
    "allemand": "de",
    "deutsch": "de",
    "german": "de",
    "espagnol": "es",
    "español": "es",
    "spanish": "es",
    "italien": "it",
    "italiano": "it",
    "italian": "it",
    "neerlandais": "nl",
    "néerlandais": "nl",
    "nederlands": "nl",
    "dutch": "nl",
}


def _language(languages: list[str]) -> Callable[[Cell], str]:
    spoken = {code.lower(): code for code in languages}

    def convert(cell: Cell) -> str:
        text = _text(cell).strip()
        lowered = text.lower()
        code = _LANGUAGE_NAMES.get(lowered, lowered.replace("_", "-"))
        found = spoken.get(code) or spoken.get(code.split("-", 1)[0])
        if found is None:
            raise _Invalid(
                _("unknown language '%(value)s' (this program speaks %(languages)s)")
                % {"value": text, "languages": ", ".join(languages)}
            )
        return found

    return convert


_BOOLEANS = {
    **dict.fromkeys(("oui", "o", "yes", "y", "true", "vrai", "1", "x", "on", "1.0"), True),
    **dict.fromkeys(("non", "n", "no", "false", "faux", "0", "off", "0.0"), False),
}


def _boolean(cell: Cell) -> bool:
    found = _BOOLEANS.get(cell) if cell.__class__ is str else None  # type: ignore[call-overload]
    if found is not None:
        return found
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    found = _BOOLEANS.get(_text(cell).strip().lower())
    if found is None:
        raise _Invalid(_("not yes/no"))
    return found


_NUMBER_JUNK = str.maketrans("", "", " \u00a0\u202f'€$£¥")
_CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}\s*|\s*[A-Za-z]{3}$")
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("1e10")


def _decimal_text(text: str) -> Decimal:
    """``"1 234,50 €"``, ``"1,234.50"``, ``"EUR 12.5"`` → Decimal; ``_Invalid`` otherwise."""
    compact = _CURRENCY_CODE.sub("", text.strip()).translate(_NUMBER_JUNK)
    if "," in compact:
        if "." in compact:  # the last one is the decimal mark
            if compact.rfind(",") > compact.rfind("."):
                compact = compact.replace(".", "").replace(",", ".")
            else:
                compact = compact.replace(",", "")
        elif compact.count(",") == 1:
            compact = compact.replace(",", ".")
        else:
            compact = compact.replace(",", "")
    try:
        value = Decimal(compact)
    except InvalidOperation:
        raise _Invalid(_("not a number")) from None
    if not value.is_finite():
        raise _Invalid(_("not a number"))
    return value


_PLAIN_AMOUNT = re.compile(r"-?\d{1,10}(?:[.,]\d{1,2})?")


def _amount(cell: Cell) -> Decimal:
    if cell.__class__ is str and _PLAIN_AMOUNT.fullmatch(cell):  # type: ignore[arg-type]
        return Decimal(cell.replace(",", ".")).quantize(_CENT)  # type: ignore[attr-defined]
    if isinstance(cell, bool):
        raise _Invalid(_("not a number"))
    if isinstance(cell, int):
        value = Decimal(cell)
    elif isinstance(cell, float):
        value = Decimal(repr(cell))
    else:
        value = _decimal_text(_text(cell))
    if abs(value) >= _MAX_AMOUNT:
        raise _Invalid(_("too large an amount"))
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _points(cell: Cell) -> int:
    if isinstance(cell, bool):
        raise _Invalid(_("not a number"))
    if isinstance(cell, int):
        value = Decimal(cell)
    elif isinstance(cell, float):
        value = Decimal(repr(cell))
    else:
        value = _decimal_text(_text(cell))
    if value != value.to_integral_value():
        raise _Invalid(_("not a whole number"))
    if abs(value) >= 2**31:
        raise _Invalid(_("too large a number"))
    return int(value)


_TAG_SPLIT = re.compile(r"[,;|]")


def _tags(cell: Cell) -> list[str]:
    tags: dict[str, None] = {}
    for part in _TAG_SPLIT.split(_text(cell)):
        tag = part.strip()
        if tag:
            tags.setdefault(tag[:60])
    return list(tags)


_DAY_FIRST = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[:hH](\d{2})(?::(\d{2}))?)?"
)
_YEAR_FIRST = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
#: Excel day numbers typed as text: five digits (1927 on), never a bare year.
_SERIAL = re.compile(r"\d{5}(?:[.,]\d+)?")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _serial(value: float) -> datetime:
    """Excel's day number (its 1900 system, as openpyxl reads it) to a naive datetime."""
    if not 1 <= value < 73051:  # 1900-01-01 … 2100-01-01
        raise _Invalid(_("not a date"))
    return _EXCEL_EPOCH + timedelta(days=value)


def _reordered(text: str) -> str:
    """``dd/mm/yyyy[ hh:mm[:ss]]`` → ISO, by position (no regex): most files' dates."""
    mark = text[2:3]
    if mark in ("/", ".", "-") and text[5:6] == mark and len(text) in (10, 16, 19):
        return f"{text[6:10]}-{text[3:5]}-{text[0:2]}{text[10:]}"
    return text


def _naive_or_aware(text: str) -> datetime:
    """A date as text to a datetime (naive unless the text carries an offset)."""
    try:
        return datetime.fromisoformat(_reordered(text))
    except ValueError:
        pass
    found = _DAY_FIRST.fullmatch(text)
    if found:
        day, month, year, hour, minute, second = found.groups()
    else:
        found = _YEAR_FIRST.fullmatch(text)
        if found is None:
            if _SERIAL.fullmatch(text):
                return _serial(float(text.replace(",", ".")))
            raise _Invalid(_("not a date"))
        year, month, day, hour, minute, second = found.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        raise _Invalid(_("not a date")) from None


#: Distinct date texts remembered per import (dates without a time repeat a lot).
_DATE_MEMO = 100_000


def _moment(zone: tzinfo) -> Callable[[Cell], datetime]:
    memo: dict[str, datetime] = {}

    def aware(value: datetime) -> datetime:
        if not 1900 <= value.year <= 2100:
            raise _Invalid(_("not a date between 1900 and 2100"))
        if value.tzinfo is not None:
            return value
        return datetime.combine(value, value.time(), zone)  # replace(tzinfo=) is 3× slower

    def convert(cell: Cell) -> datetime:
        if cell.__class__ is str:
            found = memo.get(cell)  # type: ignore[arg-type]
            if found is None:
                found = aware(_naive_or_aware(cell.strip()))  # type: ignore[attr-defined]
                if len(memo) < _DATE_MEMO:
                    memo[cell] = found  # type: ignore[index]
            return found
        if isinstance(cell, datetime):
            return aware(cell)
        if isinstance(cell, date):
            return aware(datetime.combine(cell, time()))
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            return aware(_serial(float(cell)))
        return aware(_naive_or_aware(_text(cell).strip()))

    return convert


# -- rows -----------------------------------------------------------------------------------


def _converters(
    languages: list[str], phone_region: str, tz: str
) -> dict[str, Callable[[Cell], object]]:
    moment = _moment(ZoneInfo(tz))
    return {
        "email": _email,
        "external_id": _limited("external_id"),
        "first_name": _limited("first_name"),
        "last_name": _limited("last_name"),
        "phone": _phone(phone_region),
        "language": _language(languages),
        "is_customer": _boolean,
        "first_order_at": moment,
        "total_spent": _amount,
        "consent": _boolean,
        "consent_at": moment,
        "consent_source": _limited("consent_source"),
        "loyalty_points": _points,
        "tags": _tags,
    }


def cells_as_text(cells: list[Cell]) -> tuple[str, ...]:
    """A row's cells as the error file shows them."""
    return tuple("" if cell is None else _text(cell) for cell in cells)


def make_parser(
    headers: list[str],
    mapping: Mapping,
    *,
    languages: list[str],
    phone_region: str,
    tz: str,
) -> RowParser:
    """A fast ``parse(row_number, cells)`` for one import: the mapping is resolved once."""
    converters = _converters(languages, phone_region, tz)
    plan = [
        (position, header, key, converters[key])
        for position, header in enumerate(headers)
        if (key := mapping.get(header)) in converters
    ]
    key_column = {key: header for _position, header, key, _convert in plan}
    identity_column = key_column.get("email") or key_column.get("external_id") or headers[0]
    width = len(headers)
    slots = [_SLOTS.index(key) for _position, _header, key, _convert in plan]
    steps = [(*step, slot) for step, slot in zip(plan, slots, strict=True)]
    tags_slot = _SLOTS.index("tags")

    def parse_row(row_number: int, cells: list[Cell]) -> ContactRow | list[RowError]:
        if len(cells) < width:
            cells = cells + [None] * (width - len(cells))
        args: list[object] = [None] * len(_SLOTS)
        args[tags_slot] = []
        errors: list[tuple[str, str]] | None = None
        for position, header, _key, convert, slot in steps:
            cell = cells[position]
            if cell is None or (cell.__class__ is str and not cell.strip()):  # type: ignore[attr-defined]
                continue
            try:
                args[slot] = convert(cell)
            except _Invalid as invalid:
                if errors is None:
                    errors = []
                errors.append((header, invalid.args[0]))
        if errors is None:
            if args[0] is not None or args[1] is not None:
                return ContactRow(row_number, *args)  # type: ignore[arg-type]
            errors = [(identity_column, _("neither an email nor an external id"))]
        text = cells_as_text(cells)
        return [RowError(row_number, column, reason, text) for column, reason in errors]

    return parse_row


def make_pending(
    headers: list[str],
    mapping: Mapping,
    *,
    languages: list[str],
    phone_region: str,
    tz: str,
) -> Callable[[int, list[Cell]], Pending] | None:
    """``pending(row_number, cells)`` for one import: the row's keys as ``make_parser``'s
    parser would give them, its loyalty balance's cell and its digest, keyed by the mapping
    and everything else parsing depends on; ``None`` when digests cannot be trusted."""
    key = digest_key(
        "file", headers, [mapping.get(header) for header in headers], languages, phone_region, tz
    )
    if key is None:
        return None
    row_digest = row_digester(key)
    position = {mapping.get(header): at for at, header in enumerate(headers)}
    email_at, ext_at = position.get("email"), position.get("external_id")
    points_at = position.get("loyalty_points")

    def key_text(cell: Cell) -> str | None:
        if cell is None:
            return None
        return (cell if cell.__class__ is str else _text(cell)).strip() or None  # type: ignore[attr-defined]

    def pending(row_number: int, cells: list[Cell]) -> Pending:
        width = len(cells)
        email = key_text(cells[email_at]) if email_at is not None and email_at < width else None
        ext = key_text(cells[ext_at]) if ext_at is not None and ext_at < width else None
        points = cells[points_at] if points_at is not None and points_at < width else None
        if points.__class__ is str and not points.strip():  # type: ignore[attr-defined]
            points = None
        return Pending(row_number, email, ext, row_digest(cells), cells, points=points)

    return pending


def loyalty_balance(cell: Cell) -> int:
    """A loyalty balance's cell as the parser reads it; ``ValueError`` when it is not one."""
    return _points(cell)


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
    parser = make_parser(headers, mapping, languages=languages, phone_region=phone_region, tz=tz)
    return parser(row_number, cells)


def write_error_file(out: IO[str], headers: list[str], errors: Iterable[RowError]) -> int:
    """The invalid rows as CSV (the original columns plus ``error``), every cell through
    ``exports.neutralise_formula``; returns how many rows were written."""
    writer = csv.writer(out)
    writer.writerow([neutralise_formula(header) for header in [*headers, "error"]])
    written = 0
    row: list[RowError] = []
    for error in errors:
        if row and row[0].row != error.row:
            _write_error_row(writer, row, len(headers))
            written += 1
            row = []
        row.append(error)
    if row:
        _write_error_row(writer, row, len(headers))
        written += 1
    return written


def _write_error_row(writer: csv._writer, errors: list[RowError], width: int) -> None:  # type: ignore[name-defined]
    values = list(errors[0].values[:width])
    values += [""] * (width - len(values))
    reason = "; ".join(f"{error.column}: {error.reason}" for error in errors)
    writer.writerow([neutralise_formula(value) for value in [*values, reason]])
