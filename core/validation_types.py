"""Pydantic types shared by service inputs and API schemas."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from pydantic import AfterValidator, Field

from .emails import normalize_phone


def _check_email(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
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
    return normalize_phone(value) if value else ""


def _check_currency(value: str) -> str:
    if len(value) != 3 or not value.isalpha():
        raise ValueError("a currency is a three-letter ISO 4217 code")
    return value.upper()


Email = Annotated[str, Field(max_length=254), AfterValidator(_check_email)]
Phone = Annotated[str, Field(max_length=32), AfterValidator(_check_phone)]
Currency = Annotated[str, AfterValidator(_check_currency)]
ExternalId = Annotated[str, Field(min_length=1, max_length=120)]
Name = Annotated[str, Field(max_length=120), AfterValidator(_check_name)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")]
