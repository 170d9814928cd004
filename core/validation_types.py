"""Pydantic types shared by service inputs and API schemas."""

from __future__ import annotations

from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, Field

from .emails import normalize_phone


def _check_email(value: str) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except DjangoValidationError as exc:
        raise ValueError("not a valid email address") from exc
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
Name = Annotated[str, Field(max_length=120)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")]
