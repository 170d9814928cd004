"""The contact fields a file column can be mapped to, and guesses from the headers."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Field:
    key: str
    label: Promise  # gettext_lazy
    help: Promise | str = ""


#: In the order the mapping screen lists them. Keys: email, first_name, last_name, phone,
#: language, external_id, is_customer, first_order_at, total_spent, consent, consent_at,
#: consent_source, loyalty_points, tags.
FIELDS: tuple[Field, ...] = (
    Field(
        "email",
        gettext_lazy("Email"),
        gettext_lazy("Identifies the contact when there is no external id."),
    ),
    Field("first_name", gettext_lazy("First name")),
    Field("last_name", gettext_lazy("Last name")),
    Field(
        "phone",
        gettext_lazy("Phone"),
        gettext_lazy("International (+33…) or national numbers of the program's country."),
    ),
    Field(
        "language",
        gettext_lazy("Language"),
        gettext_lazy("A language of the program, such as fr or en."),
    ),
    Field(
        "external_id",
        gettext_lazy("External id"),
        gettext_lazy("The customer's id in your shop; identifies the contact first."),
    ),
    Field(
        "is_customer",
        gettext_lazy("Is a customer"),
        gettext_lazy("Yes/no; an import never makes a customer a non-customer."),
    ),
    Field(
        "first_order_at",
        gettext_lazy("First order date"),
        gettext_lazy("The earliest date is kept."),
    ),
    Field("total_spent", gettext_lazy("Total spent"), gettext_lazy("In the program's currency.")),
    Field(
        "consent",
        gettext_lazy("Marketing consent"),
        gettext_lazy("Yes/no; only replaces a consent recorded earlier than its date."),
    ),
    Field("consent_at", gettext_lazy("Consent date")),
    Field(
        "consent_source",
        gettext_lazy("Consent source"),
        gettext_lazy("Where the consent was collected (kept in the consent record)."),
    ),
    Field(
        "loyalty_points",
        gettext_lazy("Loyalty points"),
        gettext_lazy("The balance in your previous loyalty system."),
    ),
    Field(
        "tags",
        gettext_lazy("Tags"),
        gettext_lazy("Separated by commas, semicolons or |; added to the contact's tags."),
    ),
)

FIELD_KEYS = frozenset(field.key for field in FIELDS)

#: {header as in the file: field key, or "" for a column left out}
Mapping = dict[str, str]

#: Common headers, compared once simplified (see :func:`simplify`), best first per field.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e mail",
        "mail",
        "courriel",
        "adresse email",
        "adresse e mail",
        "adresse mail",
        "adresse courriel",
        "email address",
        "e mail address",
        "mail address",
        "customer email",
        "email client",
        "mel",
    ),
    "first_name": (
        "prenom",
        "first name",
        "firstname",
        "given name",
        "forename",
        "prenom client",
        "customer first name",
        "billing first name",
    ),
    "last_name": (
        "nom",
        "last name",
        "lastname",
        "surname",
        "family name",
        "nom de famille",
        "nom client",
        "customer last name",
        "billing last name",
    ),
    "phone": (
        "telephone",
        "tel",
        "phone",
        "mobile",
        "portable",
        "phone number",
        "numero de telephone",
        "telephone mobile",
        "tel portable",
        "mobile phone",
        "cell",
        "cellphone",
        "gsm",
        "billing phone",
    ),
    "language": ("langue", "language", "lang", "locale", "langue preferee"),
    "external_id": (
        "id client",
        "customer id",
        "identifiant client",
        "numero client",
        "n client",
        "no client",
        "code client",
        "ref client",
        "reference client",
        "client id",
        "customer number",
        "external id",
        "id externe",
        "user id",
        "id",
    ),
    "is_customer": (
        "client",
        "est client",
        "is customer",
        "customer",
        "a commande",
        "has ordered",
        "deja client",
    ),
    "first_order_at": (
        "date de premiere commande",
        "premiere commande",
        "date premiere commande",
        "first order date",
        "first order",
        "date of first order",
        "first purchase date",
        "first purchase",
        "date du premier achat",
        "premier achat",
        "client depuis",
        "customer since",
    ),
    "total_spent": (
        "total depense",
        "montant total",
        "total spent",
        "total achats",
        "montant des achats",
        "chiffre d affaires",
        "ca",
        "total sales",
        "lifetime value",
        "amount spent",
        "total amount",
        "total des commandes",
    ),
    "consent": (
        "optin",
        "opt in",
        "consentement",
        "consent",
        "newsletter",
        "accepte marketing",
        "accepts marketing",
        "consentement marketing",
        "marketing consent",
        "email marketing",
        "abonne newsletter",
        "subscribed",
    ),
    "consent_at": (
        "date du consentement",
        "date de consentement",
        "date consentement",
        "consent date",
        "date of consent",
        "optin date",
        "opt in date",
        "date optin",
        "date opt in",
        "consented at",
        "date d inscription newsletter",
    ),
    "consent_source": (
        "source du consentement",
        "source de consentement",
        "source consentement",
        "consent source",
        "source optin",
        "optin source",
        "opt in source",
        "source",
        "origine",
    ),
    "loyalty_points": (
        "points de fidelite",
        "points fidelite",
        "loyalty points",
        "points",
        "solde de points",
        "points balance",
        "reward points",
    ),
    "tags": ("tags", "etiquettes", "tag", "etiquette", "labels", "segments", "groupes", "groups"),
}

#: When no header is a known name: words that, inside a header, say the field.
_WORDS: tuple[tuple[str, str], ...] = (
    ("email", "email"),
    ("e mail", "email"),
    ("courriel", "email"),
    ("prenom", "first_name"),
    ("first name", "first_name"),
    ("telephone", "phone"),
    ("phone", "phone"),
    ("mobile", "phone"),
    ("consentement", "consent_at"),  # "date …" checked first below
)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LOOKUP: dict[str, tuple[int, str]] = {
    synonym: (rank, key)
    for key, synonyms in _SYNONYMS.items()
    for rank, synonym in enumerate(synonyms)
}


def simplify(header: str) -> str:
    """``"Adresse E-mail "`` → ``"adresse e mail"``: accents, case, punctuation dropped."""
    text = unicodedata.normalize("NFKD", header.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", text.replace("'", " ")).strip()


def guess(headers: list[str], saved: Mapping | None = None) -> Mapping:
    """A mapping for ``headers``: the program's saved mapping where a header matches it,
    else a guess from common FR/EN header names ("E-mail", "Prénom", "Téléphone", "Date
    de première commande", "Optin", …); each field at most once."""
    mapping: Mapping = dict.fromkeys(headers, "")
    taken: set[str] = set()
    for header in headers:
        key = (saved or {}).get(header)
        if key in FIELD_KEYS and key not in taken:
            mapping[header] = key
            taken.add(key)
    candidates = []
    for position, header in enumerate(headers):
        if mapping[header] or (saved and header in saved):
            continue  # a column the owner left out last time stays out
        simple = simplify(header)
        found = _LOOKUP.get(simple) or _by_word(simple)
        if found and found[1] not in taken:
            candidates.append((found[0], position, header, found[1]))
    for _rank, _position, header, key in sorted(candidates):
        if key not in taken:
            mapping[header] = key
            taken.add(key)
    return mapping


def _by_word(simple: str) -> tuple[int, str] | None:
    padded = f" {simple} "
    for word, key in _WORDS:
        if f" {word} " in padded:
            if key == "consent_at" and "date" not in padded:
                return None
            return (1000, key)  # after every exact name
    return None


def check(mapping: Mapping, headers: list[str]) -> list[str]:
    """Why ``mapping`` cannot be used (translated sentences): an unknown header or field,
    a field mapped twice, neither email nor external id mapped. Empty when fine."""
    problems = []
    known = set(headers)
    for header, key in mapping.items():
        if header not in known:
            problems.append(_("The file has no column “%(header)s”.") % {"header": header})
        if key and key not in FIELD_KEYS:
            problems.append(
                _("“%(field)s” is not a contact field (column “%(header)s”).")
                % {"field": key, "header": header}
            )
    labels = {field.key: field.label for field in FIELDS}
    for key, count in Counter(key for key in mapping.values() if key).items():
        if count > 1 and key in labels:
            problems.append(
                _("%(field)s is given to more than one column; choose one.")
                % {"field": labels[key]}
            )
    chosen = set(mapping.values())
    if "email" not in chosen and "external_id" not in chosen:
        problems.append(
            _("Choose the column holding the email or the external id: contacts are found by them.")
        )
    return problems
