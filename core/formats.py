"""Money, yes/no and times as a reader expects them, in the active language.

One way to write an amount everywhere (``15 067,16 €`` in French, ``€15,067.16`` in
English), never ``15067.16 EUR`` beside ``15067,16``; templates use the ``money`` filter of
``{% load parrain_format %}``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

#: Currencies written with their symbol; any other shows its ISO code.
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF", "CAD": "$ CA"}
NBSP = "\u00a0"


def _language() -> str:
    return (translation.get_language() or "en").split("-")[0].lower()


def format_money(
    amount: Decimal | int | float | str | None, currency: str = "", places: int = 2
) -> str:
    """``amount`` in ``currency`` for the active language; ``""`` for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    if value == value.to_integral_value():
        places = 0  # "10 €", not "10,00 €"
    number = number_format(value, places, use_l10n=True, force_grouping=True)
    code = (currency or "").upper()
    symbol = SYMBOLS.get(code, code)
    if not symbol:
        return number
    if _language() == "en" and symbol in ("€", "$", "£", "¥"):
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{number}{NBSP}{symbol}"


def yes_no(value: object) -> str:
    """Yes / No / Not answered for a boolean a person reads (never "True"/"False")."""
    if value is None:
        return str(_("Not answered"))
    return str(_("Yes") if value else _("No"))


def local_datetime(value: datetime | None, zone: str | ZoneInfo | None, fmt: str = "") -> str:
    """``value`` in the program's time zone, in the active language's format."""
    if value is None:
        return ""
    tz = ZoneInfo(zone) if isinstance(zone, str) and zone else zone
    local = timezone.localtime(value, tz) if tz else timezone.localtime(value)
    return date_format(local, fmt or "SHORT_DATETIME_FORMAT")


def local_date(value: datetime | None, zone: str | ZoneInfo | None, fmt: str = "") -> str:
    """The day of ``value`` in the program's time zone, in the active language's format."""
    if value is None:
        return ""
    tz = ZoneInfo(zone) if isinstance(zone, str) and zone else zone
    local = timezone.localtime(value, tz) if tz else timezone.localtime(value)
    return date_format(local, fmt or "SHORT_DATE_FORMAT")
