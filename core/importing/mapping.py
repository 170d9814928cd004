"""The contact fields a file column can be mapped to, and guesses from the headers."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Field:
    key: str
    label: Promise  # gettext_lazy
    help: Promise | str = ""


#: In the order the mapping screen lists them. Keys: email, first_name, last_name, phone,
#: language, external_id, is_customer, first_order_at, total_spent, consent, consent_at,
#: consent_source, loyalty_points, tags.
FIELDS: tuple[Field, ...] = ()

#: {header as in the file: field key, or "" for a column left out}
Mapping = dict[str, str]


def guess(headers: list[str], saved: Mapping | None = None) -> Mapping:
    """A mapping for ``headers``: the program's saved mapping where a header matches it,
    else a guess from common FR/EN header names ("E-mail", "Prénom", "Téléphone", "Date
    de première commande", "Optin", …); each field at most once."""
    raise NotImplementedError


def check(mapping: Mapping, headers: list[str]) -> list[str]:
    """Why ``mapping`` cannot be used (translated sentences): an unknown header or field,
    a field mapped twice, neither email nor external id mapped. Empty when fine."""
    raise NotImplementedError
