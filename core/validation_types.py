"""Pydantic types shared by service inputs and API schemas."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from .conf import parrain_settings
from .emails import normalize_phone


def nul_field(tree: Any) -> str | None:
    """The dotted path of the first text (key or value) holding a NUL character, else None.

    PostgreSQL text cannot hold NUL: the APIs and the inbound webhooks refuse it up front.
    Walked without recursion (the tree may be as deep as the JSON parser allowed).
    """
    pending: list[tuple[Any, str]] = [(tree, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                pending.append((key, child))
                pending.append((item, child))
        elif isinstance(value, list):
            pending.extend(
                (item, f"{path}.{i}" if path else str(i)) for i, item in enumerate(value)
            )
    return None


def nul_problem() -> str:
    return _("Text cannot contain NUL characters.")


#: Django's email validator with its expressions compiled now: the class holds them as
#: lazy objects, and each use through the proxy cost more than the match (6 µs a row of a
#: 10,000-row bulk request). Same patterns, same flags, same answers.
def _eager_email_validator() -> EmailValidator:
    validator = EmailValidator()
    for name in ("user_regex", "domain_regex", "literal_regex"):
        lazy = getattr(EmailValidator, name)
        setattr(validator, name, re.compile(lazy.pattern, lazy.flags))
    return validator


_validate_email = _eager_email_validator()


def _check_email(value: str) -> str:
    value = value.strip()
    try:
        _validate_email(value)
    except DjangoValidationError as exc:
        raise ValueError("not a valid email address") from exc
    return value


# A web address in a name: a scheme, "www.", or a dot-separated domain ("evil.com/x").
_URL_IN_NAME = re.compile(
    r"[a-z][a-z0-9+.-]*://|www[.\u3002\uff0e\uff61]|[\w-][.\u3002\uff0e\uff61][^\W\d_]{2,}",
    re.IGNORECASE,
)
# Bidirectional overrides and isolates can reorder what a reader sees.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def name_problem(value: str) -> str:
    """Why ``value`` cannot be a person's name (empty when it can).

    A name is shown to friends and put in emails, so it must stay a name: no line breaks or
    control characters (header and text injection), no web address (phishing link).
    """
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            return _("A name cannot contain line breaks or control characters.")
    if _URL_IN_NAME.search(value):
        return _("A name cannot contain a web address.")
    return ""


def _check_name(value: str) -> str:
    problem = name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_phone(value: str) -> str:
    """E.164 form; a number without its country code is read in ``PARRAIN_PHONE_REGION``."""
    if not value:
        return ""
    try:
        return normalize_phone(value, parrain_settings.PHONE_REGION)
    except ValueError:
        raise ValueError(
            _(
                "This is not a valid phone number; write it with its country code, "
                "e.g. +33 6 12 34 56 78."
            )
        ) from None


def _check_currency(value: str) -> str:
    if len(value) != 3 or not value.isalpha():
        raise ValueError("a currency is a three-letter ISO 4217 code")
    return value.upper()


# Moments (issue 16): what PostgreSQL stores and Python reads back. PostgreSQL refuses
# offsets past ±15:59, and a year-1 or year-9999 moment with an offset leaves the years
# Python can hold once in UTC; so: RFC 3339 with its offset, years 1970 to 2999.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2999
MAX_OFFSET = timedelta(hours=15, minutes=59)
MOMENT_PATTERN = (
    r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$"
)
_MOMENT = re.compile(MOMENT_PATTERN)


def _moment_problem() -> str:
    return _(
        "Give a date and time between 1970 and 2999 with its offset, as in "
        "2026-11-24T17:52:56Z or 2026-11-24T18:52:56+01:00 (offsets up to ±15:59)."
    )


def _moment_text(value: Any) -> Any:
    """Strings in RFC 3339 only (as the schema says): no Unix times, no other layouts."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise ValueError(_moment_problem())
    return value


def _check_moment(value: datetime) -> datetime:
    offset = value.utcoffset()
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR or (
        offset is not None and abs(offset) > MAX_OFFSET
    ):
        raise ValueError(_moment_problem())
    return value


# Money (issue 16): a number or a decimal string, never "" or "1e3", at most two decimals.
MAX_MONEY = Decimal("9999999999.99")
MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
_MONEY = re.compile(MONEY_PATTERN)


def _money_text(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, str) and not _MONEY.fullmatch(value)):
        raise ValueError(_("Give an amount such as 49.90 (at most two decimals)."))
    return value


Email = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"format": "email"}),
    AfterValidator(_check_email),
]
EmailOrEmpty = Annotated[
    str,
    Field(max_length=254, description="An email address, or empty for none."),
    AfterValidator(lambda value: _check_email(value) if value.strip() else ""),
]
Phone = Annotated[
    str,
    Field(
        max_length=32,
        json_schema_extra={"format": "phone"},
        description="A valid number, international (+33…) or national in PARRAIN_PHONE_REGION "
        "(France by default), stored in E.164 form; empty for none.",
    ),
    AfterValidator(_check_phone),
]
Currency = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": "^[A-Za-z]{3}$"},
        description="ISO 4217 code; the program's currency.",
    ),
    AfterValidator(_check_currency),
]
Moment = Annotated[
    datetime,
    BeforeValidator(_moment_text),
    AfterValidator(_check_moment),
    Field(
        json_schema_extra={"pattern": MOMENT_PATTERN},
        description="RFC 3339 with an offset (up to ±15:59), years 1970 to 2999.",
    ),
]
Money = Annotated[
    Decimal,
    BeforeValidator(_money_text),
    Field(ge=0, le=MAX_MONEY, max_digits=12, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 9999999999.99, "multipleOf": 0.01},
                {"type": "string", "pattern": MONEY_PATTERN},
            ]
        }
    ),
]
ExternalId = Annotated[str, Field(min_length=1, max_length=120)]
Name = Annotated[str, Field(max_length=120), AfterValidator(_check_name)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")]
