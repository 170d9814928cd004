"""Find and scrub stored copies of one person's details (GDPR erasure).

:class:`PersonalData` holds what identifies the person being erased: their email in every form
we know (as typed, normalized, canonical), names, phone and external id. The erasure service
(``services/erasure.py``) builds it from the contact before anonymising the row, scrubs the
core's own tables with :func:`scrub_rows`, and hands it to the plugins through the
``contact_erased`` signal so each scrubs its own.

A row is *about the person* when it is linked to them or holds their email or phone (the
identifiers that cannot belong to anyone else); only those rows are scrubbed, and in them
the names and external id go too. A name alone is never searched for across a table: another
Zoé would lose hers. Copies become ``[erased]``, or in the audit log the person's stable
pseudonym ``contact-<id>`` (:meth:`PersonalData.pseudonymised`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any
from urllib.parse import quote

import phonenumbers
from cryptography.fernet import InvalidToken
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from . import crypto
from .anchored import Anchored
from .emails import canonical_email, normalize_email

ERASED = "[erased]"
#: An email-like token, to catch the person's aliases (``+tag``, Gmail dots) in free text.
EMAIL_TOKEN = re.compile(r"[\w.+\-']+@[\w\-]+(?:\.[\w\-]+)+")
#: What may separate the digits of a phone number as people type it.
PHONE_GAP = r"[\s.\-()/]*"
#: External ids shorter than this are only scrubbed where they are a whole JSON value:
#: in free text, "42" would also be a quantity or a price.
SHORT_ID = 4
TEXT_FIELDS = (models.CharField, models.TextField)


def pseudonym(contact_id: int) -> str:
    """The stable pseudonym of an erased contact in the audit log: the same for every entry
    of the person, and nothing more than the id their anonymous tombstone row keeps."""
    return f"contact-{contact_id}"


def _name_parts(*names: str) -> list[str]:
    """Full names, then each part of a compound name (``Delacroix-Hammond``) of 3+ letters."""
    full = [n.strip() for n in names if len(n.strip()) >= 2]
    joined = " ".join(full)
    parts = [p for n in full for p in re.split(r"[\s\-]+", n) if len(p) >= 3]
    return [n for n in dict.fromkeys([joined, *full, *parts]) if n]


def _phone_pattern(phone: str) -> str | None:
    """The number in any usual writing: E.164, ``00`` prefix, national ``0``, any spacing."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return re.escape(phone) if phone else None
    digits = PHONE_GAP.join(str(number.national_number))
    international = rf"(?:\+|00){PHONE_GAP}{number.country_code}{PHONE_GAP}(?:\(0\){PHONE_GAP})?"
    prefix = rf"(?:{international}|0{PHONE_GAP})?"
    return rf"(?<!\d){prefix}{digits}(?!\d)"


@dataclass(frozen=True)
class PersonalData:
    """What identifies one person, gathered before their contact row is anonymised."""

    emails: tuple[str, ...]
    names: tuple[str, ...] = ()
    phone: str = ""
    external_id: str = ""
    #: What each found copy becomes: ``[erased]``, or in the audit log the person's stable
    #: pseudonym (:meth:`pseudonymised`), so an auditor can still follow one person's events.
    replacement: str = ERASED

    def pseudonymised(self, contact_id: int) -> PersonalData:
        """The same person, whose copies become ``contact-<id>`` instead of ``[erased]``."""
        return replace(self, replacement=pseudonym(contact_id))

    @classmethod
    def of(cls, contact: Any) -> PersonalData:
        email = contact.email or ""
        emails = (email, normalize_email(email), canonical_email(email)) if email else ()
        return cls(
            emails=tuple(dict.fromkeys(e for e in emails if e)),
            names=tuple(_name_parts(contact.first_name or "", contact.last_name or "")),
            phone=contact.phone or "",
            external_id=contact.external_id or "",
        )

    @cached_property
    def identifiers(self) -> tuple[str, ...]:
        """Strings only this person's rows hold: searched for across whole tables."""
        found: list[str] = []
        for email in self.emails:  # searches ignore case: the normalized form is enough
            found += [normalize_email(email), quote(normalize_email(email), safe="")]
        if self.phone:
            found.append(self.phone)
        return tuple(dict.fromkeys(found))

    def mentioned_in(self, fields: Iterable[models.Field]) -> Q:
        """Rows where any text or JSON column holds an identifier (case-insensitive)."""
        query = Q(pk__in=[])
        for model_field in fields:
            for needle in self.identifiers:
                query |= Q(**{f"{model_field.name}__icontains": needle})
        return query

    @cached_property
    def _patterns(self) -> list[re.Pattern[str]]:
        """Longest first, so that a full name goes before its parts."""
        words = {i: (r"", r"") for i in self.identifiers}
        for name in self.names:
            for form in (name, json.dumps(name)[1:-1]):  # and as JSON text writes it (\u00e9)
                words[form] = (r"(?<!\w)", r"(?!\w)")
        if len(self.external_id) >= SHORT_ID:
            words[self.external_id] = (r"(?<![\w\-])", r"(?![\w\-])")
        patterns = [
            re.compile(before + re.escape(word) + after, re.IGNORECASE)
            for word, (before, after) in sorted(words.items(), key=lambda w: -len(w[0]))
        ]
        phone = _phone_pattern(self.phone) if self.phone else None
        if phone:
            patterns.append(re.compile(phone))
        return patterns

    def _erase_if_same_mailbox(self, match: re.Match[str]) -> str:
        """Aliases of the address (``+tags``, Gmail dots, googlemail.com) are the person's too."""
        token = match.group()
        canonical = {canonical_email(e) for e in self.emails}
        return self.replacement if canonical_email(token) in canonical else token

    def identifies(self, text: str) -> bool:
        """Whether ``text`` names this person beyond doubt: their mailbox (any alias), their
        phone however written, or exactly their external id. A name alone never does."""
        canonical = {canonical_email(e) for e in self.emails}
        if any(canonical_email(t) in canonical for t in EMAIL_TOKEN.findall(text)):
            return True
        if any(i in text.lower() for i in self.identifiers):
            return True
        phone = _phone_pattern(self.phone) if self.phone else None
        if phone and re.search(phone, text):
            return True
        return bool(self.external_id) and text.strip() == self.external_id

    def scrub_text(self, text: str) -> str:
        text = EMAIL_TOKEN.sub(self._erase_if_same_mailbox, text)
        for pattern in self._patterns:
            text = pattern.sub(self.replacement, text)
        return text

    def scrub_value(self, value: Any) -> Any:
        """A JSON value with every string, key and id that points at the person replaced."""
        if isinstance(value, dict):
            return {self.scrub_value(k): self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub_value(v) for v in value]
        if self.external_id and not isinstance(value, bool) and str(value) == self.external_id:
            return None if not isinstance(value, str) else self.replacement
        if isinstance(value, str):
            return self.scrub_text(value)
        return value

    def scrub_stored_text(self, text: str) -> str:
        """Text that may be a JSON document (a webhook body): scrubbed value by value."""
        try:
            document = json.loads(text)
        except ValueError:
            return self.scrub_text(text)
        if not isinstance(document, (dict, list)):
            return self.scrub_text(text)
        scrubbed = self.scrub_value(document)
        return text if scrubbed == document else json.dumps(scrubbed, ensure_ascii=False)


def scrubbable_fields(model: type[models.Model]) -> list[models.Field]:
    """Text and JSON columns that may hold a copy, leaving out keys and fixed choices."""
    meta = model._meta
    in_constraints = {
        name
        for constraint in meta.constraints
        if isinstance(constraint, models.UniqueConstraint)
        for name in constraint.fields
    }
    return [
        f
        for f in meta.concrete_fields
        if isinstance(f, (*TEXT_FIELDS, models.JSONField))
        and not f.primary_key
        and not f.unique
        and not f.choices
        and f.name not in in_constraints
    ]


def scrub_rows(queryset: QuerySet[Any], personal: PersonalData, linked: Q | None = None) -> int:
    """Scrub the rows of ``queryset`` that are linked to the person or mention them.

    Rows are rewritten with ``update()``: no ``save()`` hook runs (the audit log refuses
    saves; erasure is the one rewrite it allows). Returns how many rows changed. Inside
    :func:`erasing_together`, the mentions are looked for among the rows the batch's one
    search found (:class:`_Together`).
    """
    fields = scrubbable_fields(queryset.model)
    found = personal.mentioned_in(fields)
    together = _together.get()
    if together is not None and together.covers(personal):
        among = together.rows_mentioning(queryset, fields)
        if isinstance(among, list):
            # Two lookups by index (the rows found, the linked rows) rather than one
            # statement whose OR made PostgreSQL read the program's rows again (30 ms).
            ids = set(queryset.filter(Q(pk__in=among) & found).values_list("pk", flat=True))
            if linked is not None:
                ids |= set(queryset.filter(linked).values_list("pk", flat=True))
            found, linked = Q(pk__in=sorted(ids)), None
        else:
            found &= Q(pk__in=among)
    if linked is not None:
        found |= linked
    changed = 0
    for row in queryset.filter(found).order_by("pk").only("pk", *[f.name for f in fields]):
        updates = _scrubbed(row, fields, personal)
        if updates:
            queryset.model._base_manager.filter(pk=row.pk).update(**updates)
            changed += 1
    return changed


def scrub_stored_answers(queryset: QuerySet[Any], personal: PersonalData) -> int:
    """Scrub the ``body`` bytes of stored answers (the server API's idempotent replies,
    kept a day) that mention the person: the answer replays without their details. A
    sealed answer (encrypted: it hands out a secret) is read and sealed again."""
    together = _together.get()
    if together is not None and together.covers(personal):
        queryset = queryset.filter(pk__in=together.answers_identifying(queryset))
    changed = 0
    for pk, stored, sealed in _stored_answers(queryset):
        text = stored.decode("utf-8", "replace")
        if not personal.identifies(text):
            continue
        new = personal.scrub_stored_text(text).encode()
        if new != stored:
            body = crypto.seal(new) if sealed else new
            queryset.model._base_manager.filter(pk=pk).update(body=body)
            changed += 1
    return changed


def _stored_answers(queryset: QuerySet[Any]) -> Iterator[tuple[int, bytes, bool]]:
    """(pk, clear body, sealed) of each stored answer that has a body a key can read."""
    rows = queryset.exclude(body=b"").only("pk", "body", "sealed").order_by("pk")
    for row in rows.iterator(chunk_size=500):
        try:
            stored = crypto.unseal(bytes(row.body)) if row.sealed else bytes(row.body)
        except InvalidToken:
            continue  # no key reads it: nobody can replay it either
        yield row.pk, stored, row.sealed


# Many people at once ---------------------------------------------------------------------

#: Above this many identifiers, a batch reads each row's text into Python once rather
#: than have PostgreSQL match it against each (``LIKE ANY``: 0.16 µs a row and identifier;
#: reading a row of the audit log and matching it in Python: about 8 µs).
STREAM_ABOVE = 45
#: Above this many rows found for a batch, each person searches the table alone again
#: (the ids would make too long a statement).
MOST_FOUND = 20_000


class _Together:
    """The people of one batch of erasures, and what one search per table found for all
    of them: each person's own search then only reads those rows. Each erasure searched
    whole tables (the program's audit log, consent records, stored webhooks; 1.2 s for one
    person in a program of 200,000 imported contacts), so the retention task's cost grew
    with the contacts it erased times the size of the tables."""

    def __init__(self, people: list[PersonalData]) -> None:
        self.people = people
        self.needles = {i for p in people for i in p.identifiers}
        self.anchored = Anchored(n.lower() for n in self.needles)
        self.found: dict[tuple[Any, ...], list[int] | None] = {}
        # what ``PersonalData.identifies`` looks for, for all of them at once
        self.mailboxes = {canonical_email(e) for p in people for e in p.emails}
        phones = [f"(?:{x})" for p in people if p.phone and (x := _phone_pattern(p.phone))]
        self.phones = re.compile("|".join(phones)) if phones else None
        self.external_ids = {p.external_id for p in people if p.external_id}

    def covers(self, personal: PersonalData) -> bool:
        """Whether the batch's searches found this person's rows: they are one of the
        batch, and their identifiers are ASCII (lowered the same way as the ``icontains``
        searches upper them)."""
        identifiers = set(personal.identifiers)
        return identifiers <= self.needles and all(i.isascii() for i in identifiers)

    def rows_mentioning(self, queryset: QuerySet[Any], fields: list[models.Field]) -> Any:
        """Ids of the rows of ``queryset`` that hold any identifier of the batch (a
        superset of what each person's own search finds), searched once per queryset."""
        sql, params = queryset.query.sql_with_params()
        key = ("rows", queryset.model, sql, repr(params))
        if key not in self.found:
            ids = self._search(queryset, fields)
            self.found[key] = None if len(ids) > MOST_FOUND else ids
        ids = self.found[key]
        return queryset.values("pk") if ids is None else ids

    def _search(self, queryset: QuerySet[Any], fields: list[models.Field]) -> list[int]:
        if not self.needles or not fields:
            return []
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":  # the people's own searches, joined
            query = Q(pk__in=[])
            for person in self.people:
                query |= person.mentioned_in(fields)
            return list(queryset.filter(query).values_list("pk", flat=True))
        # Each row's columns lowered once, then every identifier's pattern: what the
        # people's ``icontains`` find (identifiers are ASCII here: ``covers``). A regular
        # expression of them all (``~*``) took 19 s for 50 people and 100,000 rows.
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        columns = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}::text" for f in fields)
        if len(self.needles) > STREAM_ABOVE and self.anchored.complete:
            # Many identifiers: each row's lowered text read once, matched in Python in
            # one pass whatever their number (``core/anchored.py``).
            haystack = RawSQL(
                f"lower(concat_ws(' ', {columns}))",  # nosec B611 # quoted names only
                [],
                output_field=models.TextField(),
            )
            rows = queryset.annotate(_haystack=haystack).values_list("pk", "_haystack")
            found = self.anchored.found_in
            return [pk for pk, text in rows.iterator(chunk_size=5000) if found(text)]
        patterns = ["%" + _like_escaped(n.lower()) + "%" for n in sorted(self.needles)]
        mentions = RawSQL(
            f"lower(concat_ws(' ', {columns})) LIKE ANY (%s)",  # nosec B611 # quoted names
            [patterns],
            output_field=models.BooleanField(),
        )
        return list(queryset.filter(mentions).values_list("pk", flat=True))

    def answers_identifying(self, queryset: QuerySet[Any]) -> Any:
        """Ids of the stored answers that identify anyone of the batch, read once."""
        sql, params = queryset.query.sql_with_params()
        key = ("answers", queryset.model, sql, repr(params))
        if key not in self.found:
            self.found[key] = [
                pk
                for pk, stored, _ in _stored_answers(queryset)
                if self._identifies_anyone(stored.decode("utf-8", "replace"))
            ]
        return self.found[key]

    def _identifies_anyone(self, text: str) -> bool:
        """``identifies`` for anyone of the batch, the text read once."""
        if any(canonical_email(t) in self.mailboxes for t in EMAIL_TOKEN.findall(text)):
            return True
        lowered = text.lower()
        if self.anchored.found_in(lowered) or (
            not self.anchored.complete and any(n.lower() in lowered for n in self.needles)
        ):
            return True
        if self.phones is not None and self.phones.search(text):
            return True
        return text.strip() in self.external_ids


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_together: ContextVar[_Together | None] = ContextVar("parrain_erasing_together", default=None)


@contextmanager
def erasing_together(people: list[PersonalData]) -> Iterator[None]:
    """Erase ``people`` one after the other with each table searched once for all of them
    (the retention task's batches, the admins' bulk erasure). Each person's rows are found
    and scrubbed exactly as alone: their own search runs, among the rows the batch's search
    found. One person alone is erased the same way (``erase_contact``): the one search of
    each row's lowered columns took 0.44 s where the ``icontains`` of each column took 1.2 s
    (200,000 audit entries)."""
    current = _together.get()
    if current is not None and all(current.covers(person) for person in people):
        yield  # a batch that holds them already
        return
    token = _together.set(_Together(people))
    try:
        yield
    finally:
        _together.reset(token)


def _scrubbed(row: models.Model, fields: list[models.Field], personal: PersonalData) -> dict:
    updates = {}
    for model_field in fields:
        value = getattr(row, model_field.attname)
        if value is None or value == "":
            continue
        if isinstance(model_field, models.JSONField):
            new = personal.scrub_value(value)
        else:
            new = personal.scrub_stored_text(value)[: model_field.max_length or None]
        if new != value:
            updates[model_field.attname] = new
    return updates
