"""Write a batch of contact rows: set-based, idempotent, never downgrading.

Upsert by external id, else normalised email. Rules (issue 14): an empty cell never
clears a value; a customer stays a customer; ``first_order_at`` keeps the earliest date;
tags are merged; a consent from the file only replaces the stored one when it is dated
later (or nothing was stored), and is written as a ``ConsentRecord`` (source import); a
loyalty balance becomes an ``IMPORT`` ledger line for the difference with what imports
already brought. Each contact created or changed gets one audit entry carrying the import
id. Contacts who become customers start the scenario's ``became_customer`` steps.

On PostgreSQL a batch is COPY'd into a temporary table and merged with a few statements;
elsewhere (SQLite) the same rules run through the ORM in bulk. There too, each contact
keeps the digest of the last raw row naming it (``Pending``, ``ContactRow.digest``): the
same raw row again is counted unchanged without being parsed (:func:`unchanged`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..emails import canonical_email, normalize_email
from ..models import ContactImport, Program
from .rows import ContactRow, Pending, loyalty_balance

#: Audit actions written by the engine.
CREATED = "contact.imported"
UPDATED = "contact.updated_by_import"

#: The contact columns an import may write (besides the identity columns).
TEXT_FIELDS = ("first_name", "last_name", "phone", "language")
#: Every column the engine reads and writes, in the temporary table's order.
COLUMNS = (
    "email",
    "email_normalized",
    "email_canonical",
    "external_id",
    "first_name",
    "last_name",
    "phone",
    "language",
    "is_customer",
    "first_order_at",
    "total_spent",
    "consent_recontact",
    "consent_at",
    "consent_source",
    "tags",
)
CENT = Decimal("0.01")


@dataclass
class BatchResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows the engine could not write, with why (translated): e.g. an unknown external id
    # without an email to create the contact from. Not counted above.
    refused: list[tuple[int, str]] = field(default_factory=list)
    # This batch's contacts once written, by normalised email: their ids, so a caller
    # that answers row by row (the server API) does not look them up again. Not summed.
    ids: dict[str, int] = field(default_factory=dict, repr=False)

    def __iadd__(self, other: BatchResult) -> BatchResult:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.refused += other.refused
        return self


class _State:
    """One contact as the batch leaves it: loaded from the database or planned anew."""

    __slots__ = (
        "id",
        "new",
        "erased",
        "values",
        "original",
        "changed",
        "consents",
        "imported_points",
        "loyalty",
        "was_customer",
        "verified",
        "digest",
        "new_digest",
    )

    def __init__(
        self,
        pk: int | None,
        values: dict[str, Any],
        erased: bool = False,
        verified: bool = False,
        digest: bytes | None = None,
    ) -> None:
        self.id = pk
        self.new = pk is None
        self.erased = erased
        self.verified = verified  # stored with a confirmed address
        self.digest = digest  # stored: the last import row that named it (see unchanged)
        self.new_digest: bytes | None = None  # the digest of the last row naming it here
        self.values = values
        self.original = values if pk is None else dict(values)  # new: never compared
        self.changed: list[str] = []  # field names, in the order they first changed
        self.consents: list[tuple[bool, datetime, str]] = []  # (given, at, text)
        self.imported_points = 0  # what imports brought to the loyalty balance so far
        self.loyalty = 0  # the ledger line to write (difference)
        self.was_customer = bool(values.get("is_customer"))  # (not read by a light lookup)

    def mark(self, name: str) -> None:
        if name not in self.changed:
            self.changed.append(name)

    @property
    def touched(self) -> bool:
        return self.new or bool(self.changed)

    @property
    def restamped(self) -> bool:
        """Left as it was, but named by a row whose digest it does not hold yet."""
        return (
            not self.touched
            and not self.erased
            and self.new_digest is not None
            and self.new_digest != self.digest
        )

    @property
    def became_customer(self) -> bool:
        return bool(self.values["is_customer"]) and not self.was_customer

    @property
    def consent_changed(self) -> bool:
        if self.new:
            return False  # no invitation names a contact created by this batch
        return self.values["consent_recontact"] != self.original["consent_recontact"]


def _clean(value: str | None, length: int) -> str:
    return (value or "").strip()[:length]


def _ext(value: str | None) -> str | None:
    value = (value or "").strip()[:120]
    return value or None


class Stored:
    """The program's contacts a batch's rows name, as stored: one lookup, which a caller
    with rules of its own (the server API's) reads before handing it to ``apply_batch``.

    ``light`` (PostgreSQL): only what tells a row unchanged and what the API's rules read
    (:data:`LIGHT`) is read at first; :meth:`skip_unchanged` then reads in full the
    contacts whose rows are not skipped (none in a re-import of the same file)."""

    def __init__(
        self, program: Program, rows: Sequence[ContactRow | Pending], *, light: bool = False
    ) -> None:
        emails = {normalize_email(r.email) for r in rows if r.email and r.email.strip()}
        exts = {e for e in (_ext(r.external_id) for r in rows) if e}
        self.light = light and skipping()
        columns = LIGHT if self.light else COLUMNS
        self.states = [
            _State(pk, values, erased, verified, digest)
            for pk, erased, verified, digest, values in _load(program, emails, exts, columns)
        ]

    def original(self, key: str, value: str) -> dict[Any, Any]:
        """{stored ``key``: stored ``value``} (e.g. external id → email), keys not empty."""
        return {s.original[key]: s.original[value] for s in self.states if s.original[key]}

    def skip_unchanged(self, rows: Sequence[ContactRow | Pending]) -> set[int]:
        """The numbers of the ``rows`` (the batch's rows; those still :class:`Pending`
        may be skipped) an import would count unchanged, told without parsing them; then
        the other contacts are read in full. See :func:`unchanged`."""
        skipped = unchanged(self, rows)
        self.complete(kept={state.id for state in skipped.values()})  # type: ignore[misc]
        return set(skipped)

    def complete(self, kept: Iterable[int] = ()) -> None:
        """Read in full the contacts a light lookup found, but ``kept`` (whose rows were
        counted unchanged: no row of the batch merges into them)."""
        if not self.light:
            return
        self.light = False
        kept = set(kept)
        wanted = [state.id for state in self.states if state.id not in kept]
        full = {
            pk: _State(pk, values, erased, verified, digest)
            for pk, erased, verified, digest, values in _load_ids(wanted)  # type: ignore[arg-type]
        }
        # (a contact deleted meanwhile is no longer found)
        self.states = [
            state if state.id in kept else full[state.id]  # type: ignore[index]
            for state in self.states
            if state.id in kept or state.id in full
        ]


#: The columns a light lookup reads (with the id, the erasure, the confirmed address and
#: the digest): the keys, and what the API's rules and ``Pending.expect`` compare.
LIGHT = ("email", "email_normalized", "external_id", "consent_recontact")


def skipping() -> bool:
    """Whether unchanged rows can be told by their digest: on PostgreSQL, where a trigger
    clears a contact's digest when a column the import reads changes (migration 0032)."""
    return connection.vendor == "postgresql"


def unchanged(stored: Stored, rows: Sequence[ContactRow | Pending]) -> dict[int, _State]:
    """{row number: contact} of the ``rows`` (those still :class:`Pending`; all of the
    batch's rows are given) a full import would count unchanged, told without parsing
    them. A row is skipped when the contact it names holds the row's digest (the same raw
    row, read by the same code and settings, was the last to name it, and no column the
    import reads changed since: the trigger clears the digest), holds the row's email and
    external id (no other contact's keys come into play), is named by no other row of the
    batch (which could change it first), and holds what ``expect`` and ``points`` say.
    Merging such a row again changes nothing: an import leaves each contact as the last
    row naming it makes it, and merging that row again is a no-op."""
    if not skipping() or not any(state.digest is not None for state in stored.states):
        return {}  # (a first import: nothing holds a digest)
    by_email: dict[str, _State] = {}
    by_ext: dict[str, _State] = {}
    for state in stored.states:
        by_email[state.values["email_normalized"]] = state
        if state.values["external_id"]:
            by_ext[state.values["external_id"]] = state
    named: dict[int, int] = {}
    resolved: list[tuple[Pending, _State, str | None, str | None]] = []
    for pending in rows:  # (or a parsed row, which may name a contact too)
        email = pending.email
        key = email.strip().lower() if email else None  # normalize_email, inlined
        ext = _ext(pending.external_id)
        by_id = by_ext.get(ext) if ext else None
        by_key = by_email.get(key) if key else None
        if by_id is not None:
            named[by_id.id] = named.get(by_id.id, 0) + 1  # type: ignore[index]
        if by_key is not None and by_key is not by_id:
            named[by_key.id] = named.get(by_key.id, 0) + 1  # type: ignore[index]
        state = by_id or by_key
        if (
            state is not None
            and state.digest is not None
            and isinstance(pending, Pending)
            and state.digest == pending.digest
        ):
            resolved.append((pending, state, key, ext))
    candidates = [
        (pending, state)
        for pending, state, key, ext in resolved
        if named[state.id] == 1  # type: ignore[index]
        and not state.erased
        and (not key or state.values["email_normalized"] == key)
        and (ext is None or state.values["external_id"] == ext)
        and all(state.values[name] == value for name, value in pending.expect)
    ]
    balances: dict[int, int | None] = {}
    for pending, state in candidates:
        if pending.points is not None:
            try:
                balances[state.id] = loyalty_balance(pending.points)  # type: ignore[index]
            except ValueError:
                balances[state.id] = None  # an invalid row: parsed, and refused
    if balances:
        imported = dict(_imported_points(list(balances)))
        candidates = [
            (pending, state)
            for pending, state in candidates
            if pending.points is None or imported.get(state.id, 0) == balances[state.id]  # type: ignore[arg-type,index]
        ]
    return {pending.row: state for pending, state in candidates}


class _Plan:
    """What a batch does, worked out in memory from the rows and the contacts they name."""

    def __init__(
        self, program: Program, rows: Sequence[ContactRow], stored: Stored | None = None
    ) -> None:
        self.program = program
        self.now = timezone.now()
        self.result = BatchResult()
        self.by_email: dict[str, _State] = {}
        self.by_ext: dict[str, _State] = {}
        stored = stored or Stored(program, rows)
        stored.complete()
        # touched or not, in first-seen order
        self.states: list[_State] = list(stored.states)
        for state in self.states:
            values = state.values
            self.by_email[values["email_normalized"]] = state
            if values["external_id"]:
                self.by_ext[values["external_id"]] = state
        if any(r.loyalty_points is not None for r in rows):
            by_id = {s.id: s for s in self.states if not s.erased}
            for pk, points in _imported_points(list(by_id)):
                by_id[pk].imported_points = points
        for row in rows:
            self.apply(row)

    # One row

    def apply(self, row: ContactRow) -> None:
        ext = row.external_id
        if ext is not None:
            ext = ext.strip()[:120] or None
        email = row.email
        key = None
        if email:
            email = email.strip()
            key = email.lower() if email else None  # normalize_email, inlined
        state = self.by_ext.get(ext) if ext else None
        if state is None and key:
            state = self.by_email.get(key)
        if state is not None and state.erased:
            self.result.unchanged += 1  # an erased contact is never revived
            return
        if state is None:
            if not key:
                self.result.refused.append(
                    (row.row, str(_("Unknown external id and no email to create the contact.")))
                )
                return
            state = self.create(email, key)  # type: ignore[arg-type]
            state.new_digest = row.digest
            self.merge(state, row, ext, email, key)  # type: ignore[arg-type]
            self.result.new += 1
            return
        state.new_digest = row.digest  # the last row naming a contact leaves it as stored
        if self.merge(state, row, ext, email or "", key):
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def create(self, email: str, key: str) -> _State:
        values: dict[str, Any] = {
            "email": email[:254],
            "email_normalized": key,
            "email_canonical": canonical_email(email),
            "external_id": None,
            "first_name": "",
            "last_name": "",
            "phone": "",
            "language": self.program.default_language,
            "is_customer": False,
            "first_order_at": None,
            "total_spent": None,
            "consent_recontact": None,
            "consent_at": None,
            "consent_source": "",
            "tags": [],
        }
        state = _State(None, values)
        state.changed.append("email")
        self.states.append(state)
        self.by_email[key] = state
        return state

    def merge(
        self, state: _State, row: ContactRow, ext: str | None, email: str, key: str | None
    ) -> bool:
        """Apply ``row`` to ``state`` by the never-downgrade rules; True if it changed.
        Written out field by field: it runs once per row of every import."""
        v = state.values
        changed = state.changed
        before = len(changed)
        touched = False
        if key and key != v["email_normalized"] and key not in self.by_email:
            # A new address for a contact known by external id, free in the program.
            v["email"], v["email_normalized"] = email[:254], key
            v["email_canonical"] = canonical_email(email)
            self.by_email[key] = state  # the old address keeps naming it in this batch
            if "email" not in changed:
                changed.append("email")
            touched = True
        if ext and not v["external_id"] and ext not in self.by_ext:
            v["external_id"] = ext
            if "external_id" not in changed:
                changed.append("external_id")
            touched = True
            self.by_ext[ext] = state
        for name, value, limit in (
            ("first_name", row.first_name, 120),
            ("last_name", row.last_name, 120),
            ("phone", row.phone, 20),
            ("language", row.language, 8),
        ):
            if value:
                value = value.strip()[:limit]
                if value and v[name] != value:
                    v[name] = value
                    if name not in changed:
                        changed.append(name)
                    touched = True
        if row.is_customer and not v["is_customer"]:
            v["is_customer"] = True
            if "is_customer" not in changed:
                changed.append("is_customer")
            touched = True
        first = row.first_order_at
        if first is not None and (v["first_order_at"] is None or first < v["first_order_at"]):
            if v["first_order_at"] != first:
                v["first_order_at"] = first
                if "first_order_at" not in changed:
                    changed.append("first_order_at")
                touched = True
        if row.total_spent is not None:
            spent = Decimal(row.total_spent).quantize(CENT)
            if v["total_spent"] is None or Decimal(v["total_spent"]) != spent:
                v["total_spent"] = spent
                if "total_spent" not in changed:
                    changed.append("total_spent")
                touched = True
        if row.tags:
            tags = list(v["tags"] or [])
            for tag in row.tags:
                tag = str(tag).strip()
                if tag and tag not in tags:
                    tags.append(tag)
            if tags != v["tags"]:
                v["tags"] = tags
                if "tags" not in changed:
                    changed.append("tags")
                touched = True
        if row.consent is not None and self.consent_applies(v, row.consent_at):
            at = row.consent_at or self.now
            state.consents.append((row.consent, at, (row.consent_source or "").strip()))
            v["consent_recontact"], v["consent_at"], v["consent_source"] = row.consent, at, "import"
            if "consent_recontact" not in changed:
                changed.append("consent_recontact")
            touched = True
        if row.loyalty_points is not None and row.loyalty_points != state.imported_points:
            state.loyalty += row.loyalty_points - state.imported_points
            state.imported_points = row.loyalty_points
            if "loyalty_points" not in changed:
                changed.append("loyalty_points")
            touched = True
        return touched or len(changed) > before

    @staticmethod
    def consent_applies(v: dict[str, Any], at: datetime | None) -> bool:
        """A consent from the file replaces the stored one only when it is dated later, or
        when nothing is stored (an undated one never overrides a stored answer)."""
        if at is None:
            return v["consent_recontact"] is None and v["consent_at"] is None
        return v["consent_at"] is None or at > v["consent_at"]

    def touched(self) -> list[_State]:
        return [s for s in self.states if s.touched and not s.erased]

    def restamped(self) -> list[_State]:
        return [s for s in self.states if s.restamped]


def _load(  # type: ignore[no-untyped-def]
    program: Program, emails: set[str], exts: set[str], columns: tuple[str, ...] = COLUMNS
):
    """(id, erased, verified, digest, values) of the program's contacts with one of
    ``emails`` or ``exts``, ``values`` holding ``columns``. The digest column exists on
    PostgreSQL only."""
    from ..models import Contact

    if not emails and not exts:
        return []
    if connection.vendor == "postgresql":
        names = ("id", "erased", "verified", "import_digest", *columns)
        cols = _select_list(columns)
        ext_at = names.index("external_id")
        records = []
        with connection.cursor() as cursor:
            _ensure_statistics(cursor)
            if emails:
                records = _lookup(cursor, cols, "email_normalized", program.pk, emails)
            # An external id held by a contact found by email names that one (the pair is
            # unique): only the others are looked up (none in a re-import of a file).
            exts = exts - {r[ext_at] for r in records}
            if exts:
                records += _lookup(cursor, cols, "external_id", program.pk, exts)
        return _records(records, columns)
    records = []
    names = ("id", "erased_at", "email_verified_at", *columns)
    for chunk_emails, chunk_exts in _chunks(sorted(emails), sorted(exts), 400):
        records += [
            (*record[:3], None, *record[3:])
            for record in Contact.objects.filter(program=program)
            .filter(Q(email_normalized__in=chunk_emails) | Q(external_id__in=chunk_exts))
            .values_list(*names)
        ]
    return _records(records, columns)


#: Contacts by id, in full (PostgreSQL).
BY_ID_SQL = """
SELECT {cols} FROM parrain_contact c WHERE c.id = ANY({ids})
"""  # nosec B608 # only this module's constant table and column names; values are parameters


def _load_ids(ids: list[int]):  # type: ignore[no-untyped-def]
    """``_load``'s records, in full, of the contacts ``ids`` (PostgreSQL)."""
    if not ids:
        return []
    match, values = any_of(map(str, ids), "::bigint[]")
    with connection.cursor() as cursor:
        cursor.execute(BY_ID_SQL.format(cols=_select_list(COLUMNS), ids=match), [values])
        return _records(cursor.fetchall(), COLUMNS)


def _select_list(columns: tuple[str, ...]) -> str:
    """What ``_records`` reads, PostgreSQL telling the erasure and the confirmed address
    (booleans: no date to convert) and the digest before ``columns``."""
    head = (
        "c.id, c.erased_at IS NOT NULL AS erased, c.email_verified_at IS NOT NULL AS verified, "
        "c.import_digest"
    )
    return ", ".join([head, *(f'c."{n}"' for n in columns)])


def _records(records: list[Any], columns: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """(id, erased, verified, digest, values) of (id, erased_at, email_verified_at,
    import_digest, *columns) records (the two dates or whether they are set), each
    contact once."""
    seen: set[int] = set()
    out = []
    for record in records:
        if record[0] in seen:
            continue
        seen.add(record[0])
        values = dict(zip(columns, record[4:], strict=True))
        if "tags" in values:
            tags = values["tags"]
            if isinstance(tags, str):  # jsonb read by a raw cursor
                tags = [] if tags == "[]" else json.loads(tags)
            values["tags"] = list(tags or [])
        erased, verified = record[1], record[2]
        if erased.__class__ is not bool:  # dates, from the ORM
            erased, verified = erased is not None, verified is not None
        out.append((record[0], erased, verified, record[3], values))
    return out


#: The contacts a batch names, one probe of the unique (program, key) index per key
#: whatever the table's statistics say. Matching ``program_id = %s AND key = ANY(keys)``
#: lets the planner read the whole program (through the program's index when statistics
#: taken before this program grew say it has a handful of contacts, by a sequential scan
#: once they say it is large): 3 → 30 ms from the first to the tenth 5,000-row batch,
#: growing with the table. A lateral subquery is run once per key; the program comes as a
#: column of a subquery the planner cannot fold (OFFSET 0), so the only index matching
#: both conditions is the unique one (a constant program made a per-key scan of the whole
#: program under stale statistics: 22 s a batch). Measured with EXPLAIN ANALYZE on 55,000
#: contacts, stale and fresh statistics: the same plan, 15-18 ms for 5,000 keys.
LOOKUP_SQL = """
SELECT found.* FROM (SELECT %s::bigint AS program OFFSET 0) p
CROSS JOIN unnest({keys}::text[]) AS k(key)
CROSS JOIN LATERAL (
    SELECT {cols} FROM parrain_contact c WHERE c.program_id = p.program AND c.{column} = k.key
    LIMIT 1
) found
"""  # nosec B608 # only this module's constant table and column names; values are parameters


def _lookup(cursor: Any, cols: str, column: str, program: int, keys: set[str]) -> list[Any]:
    match, values = any_of(keys)
    cursor.execute(LOOKUP_SQL.format(cols=cols, keys=match, column=column), [program, values])
    return cursor.fetchall()


#: Whether the contact table's ``program_id`` has statistics, else whether it has rows.
STATISTICS_SQL = """
SELECT EXISTS (SELECT FROM pg_stats WHERE tablename = 'parrain_contact'
    AND attname = 'program_id' AND schemaname = current_schema()),
    EXISTS (SELECT FROM parrain_contact)
"""


def _ensure_statistics(cursor: Any) -> None:
    """``ANALYZE`` the contact table's ``program_id`` once, when it has rows but was never
    analysed (a new database's first import, before autovacuum's first pass). Without any
    statistics the planner guesses a program holds 1/200 of a table it believes small,
    finds an index on ``program_id`` alone as cheap as the unique one and, in a second
    5,000-row batch, scanned the whole program for each key (3 to 5 s). With them, the
    unique index wins by far, stale or not (the program is no constant: its number of
    distinct values counts, not how many contacts the statistics saw in it)."""
    cursor.execute(STATISTICS_SQL)
    analysed, any_rows = cursor.fetchone()
    if not analysed and any_rows:
        cursor.execute("ANALYZE parrain_contact (program_id)")


#: A text array passed as one string: psycopg quotes a 5,000-element list parameter value
#: by value in Python (25 ms a batch), one string at C speed. The separator is the ASCII
#: unit separator; a value holding one (never an email) sends the list as it is.
_SEPARATOR = "\x1f"


def any_of(values: Iterable[str], cast: str = "") -> tuple[str, Any]:
    """``(SQL, parameter)`` for ``column = ANY(<SQL>)`` matching ``values``."""
    values = list(values)
    text = _SEPARATOR.join(values)
    if text.count(_SEPARATOR) == max(len(values) - 1, 0):
        return f"string_to_array(%s, chr(31)){cast}", text
    return "%s", values


def _chunks(a: list[str], b: list[str], size: int):  # type: ignore[no-untyped-def]
    for start in range(0, max(len(a), len(b)), size):
        yield a[start : start + size], b[start : start + size]


def _imported_points(ids: list[int]) -> list[tuple[int, int]]:
    """What imports brought so far to each contact's loyalty balance."""
    from ..models import LoyaltyEntry
    from ..models.loyalty import LoyaltyKind

    if not ids:
        return []
    if connection.vendor == "postgresql":
        by_id, id_values = any_of(map(str, ids), "::bigint[]")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT contact_id, SUM(points) FROM parrain_loyaltyentry "
                f"WHERE contact_id = ANY({by_id}) AND kind = %s "  # nosec B608 # a constant
                "GROUP BY contact_id",
                [id_values, LoyaltyKind.IMPORT.value],
            )
            return [(pk, int(total)) for pk, total in cursor.fetchall()]
    out: list[tuple[int, int]] = []
    for start in range(0, len(ids), 400):
        out += list(
            LoyaltyEntry.objects.filter(
                contact_id__in=ids[start : start + 400], kind=LoyaltyKind.IMPORT
            )
            .values("contact_id")
            .annotate(total=Sum("points"))
            .values_list("contact_id", "total")
        )
    return out


def apply_batch(
    program: Program,
    rows: Sequence[ContactRow],
    *,
    contact_import: ContactImport | None = None,
    actor: str = "import",
    dry_run: bool = False,
    path: str | None = None,
    verified_at: datetime | None = None,
    stored: Stored | None = None,
) -> BatchResult:
    """Count (``dry_run``) or write ``rows``; runs inside the caller's transaction. Rows
    naming the same contact twice in a batch: the last one wins. ``verified_at``: the
    contacts created have their address confirmed then (a caller who vouches for the
    addresses; written with the row rather than updated after, which rewrote each row).

    ``path`` forces the writer ("copy" on PostgreSQL only, or "orm"): tests run both on
    the same scenarios; by default PostgreSQL uses "copy". ``stored``: the contacts the
    rows name, already looked up (:class:`Stored`, not used since).

    Rows carrying a digest (``ContactRow.digest``) leave it on the contact they name (the
    last one naming it wins), written with the contact, or alone for a contact they left
    unchanged that did not hold it yet; the COPY writer only (the ORM writer leaves it to
    the trigger to clear)."""
    plan = _Plan(program, rows, stored)
    if dry_run:
        return plan.result
    if path is None:
        path = "copy" if connection.vendor == "postgresql" else "orm"
    states = plan.touched()
    restamped = plan.restamped() if path == "copy" else []
    if not states and not restamped:
        plan.result.ids = _ids(plan.states)
        return plan.result  # nothing to write: a re-import of the same file
    import_id = contact_import.pk if contact_import else None
    source = consent_source(contact_import)
    for state in states:
        if state.consents and state.values.get("consent_source") == "import":
            state.values["consent_source"] = source
    with transaction.atomic():
        if path == "copy":
            became = _write_copy(
                program, states, restamped, plan.now, import_id, actor, source, verified_at
            )
        else:
            became = _write_orm(program, states, plan.now, import_id, actor, source, verified_at)
    if became:
        _fire_became_customer(program, became)
    plan.result.ids = _ids(plan.states)
    return plan.result


def _ids(states: list[_State]) -> dict[str, int]:
    return {s.values["email_normalized"]: s.id for s in states if s.id is not None}


def consent_source(contact_import: ContactImport | None) -> str:
    """The consent records' source: the import's own (server API, Oscar), else "import"."""
    from ..models.choices import ConsentSource, ImportSource

    by_source = {ImportSource.API: ConsentSource.API, ImportSource.OSCAR: ConsentSource.OSCAR}
    if contact_import is None:
        return ConsentSource.IMPORT
    return by_source.get(contact_import.source, ConsentSource.IMPORT)


def _audit_data(state: _State, import_id: int | None) -> dict[str, Any]:
    return {"import_id": import_id, "changed": list(state.changed)}


def _fire_became_customer(program: Program, ids: list[int]) -> None:
    from ..models import Contact
    from ..models.choices import Recipient, Trigger
    from ..services import scenarios

    if not scenarios.active_steps(program).get(Trigger.BECAME_CUSTOMER):
        return
    contacts = list(Contact.objects.filter(pk__in=ids).order_by("pk"))
    scenarios.fire_many(
        program,
        Trigger.BECAME_CUSTOMER,
        [scenarios.Firing(c, {Recipient.CONTACT: c}) for c in contacts],
    )


# The ORM writer (SQLite, and PostgreSQL when asked)


def _write_orm(
    program: Program,
    states: list[_State],
    now: datetime,
    import_id: int | None,
    actor: str,
    source: str,
    verified_at: datetime | None = None,
) -> list[int]:
    from ..models import AuditEvent, ConsentRecord, Contact, Invitation, LoyaltyEntry
    from ..models.choices import ConsentChannel
    from ..models.loyalty import LoyaltyKind

    new = [s for s in states if s.new]
    old = [s for s in states if not s.new]
    created = Contact.objects.bulk_create(
        [
            Contact(program=program, created_at=now, email_verified_at=verified_at, **s.values)
            for s in new
        ],
        batch_size=500,
    )
    for state, contact in zip(new, created, strict=True):
        state.id = contact.pk
    fields = sorted({name for s in old for name in s.values if s.values[name] != s.original[name]})
    if old and fields:
        Contact.objects.bulk_update(
            [Contact(pk=s.id, **{f: s.values[f] for f in fields}) for s in old],
            fields,
            batch_size=200,
        )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                program=program,
                at=now,
                action=CREATED if s.new else UPDATED,
                actor=actor,
                contact_id=s.id,
                data=_audit_data(s, import_id),
            )
            for s in states
        ],
        batch_size=500,
    )
    ConsentRecord.objects.bulk_create(
        [
            ConsentRecord(
                program=program,
                contact_id=s.id,
                channel=ConsentChannel.EMAIL,
                given=given,
                at=at,
                source=source,
                # The file's "consent source" column is the shop's label of where the
                # person agreed (e.g. "Newsletter form"): shown beside the source, like an
                # API caller's label. The text they saw is not in the file.
                contact_import_id=import_id,
                actor=(label or actor)[:120],
                created_at=now,
            )
            for s in states
            for given, at, label in s.consents
        ],
        batch_size=500,
    )
    LoyaltyEntry.objects.bulk_create(
        [
            LoyaltyEntry(
                program=program,
                contact_id=s.id,
                kind=LoyaltyKind.IMPORT,
                points=s.loyalty,
                occurred_at=now,
                recorded_at=now,
                source="import",
            )
            for s in states
            if s.loyalty
        ],
        batch_size=500,
    )
    for value in (True, False, None):
        ids = [s.id for s in old if s.consent_changed and s.values["consent_recontact"] is value]
        for start in range(0, len(ids), 500):
            Invitation.objects.filter(referee_id__in=ids[start : start + 500]).update(
                referee_consent=value
            )
    return [s.id for s in states if s.became_customer]  # type: ignore[misc]


# The PostgreSQL writer: COPY into a temporary table, then set-based statements

TEMP = "parrain_import_batch"
TEMP_SQL = f"""
CREATE TEMP TABLE IF NOT EXISTS {TEMP} (
    op char(1) NOT NULL,
    contact_id bigint,
    email varchar(254), email_normalized varchar(254), email_canonical varchar(254),
    external_id varchar(120), first_name varchar(120), last_name varchar(120),
    phone varchar(20), language varchar(8), is_customer boolean,
    first_order_at timestamptz, total_spent numeric(12, 2), consent_recontact boolean,
    consent_at timestamptz, consent_source varchar(40), tags jsonb,
    changed jsonb, consent_changed boolean, became_customer boolean, loyalty integer,
    consents jsonb, digest bytea
) ON COMMIT DROP
"""
CONTACT_COLUMNS = ", ".join(COLUMNS)
# New contacts' ids are taken from the table's sequence beforehand (one statement), so
# that every later statement reads them from the temporary table, with no join back. The
# sequence is looked up once in a subquery: ``nextval(pg_get_serial_sequence(...))`` ran
# the (stable, never folded) lookup for each id, 6 µs an id, ten times nextval's own cost.
IDS_SQL = """
SELECT nextval(s.seq) FROM
    (SELECT pg_get_serial_sequence('parrain_contact', 'id')::regclass AS seq OFFSET 0) s,
    generate_series(1, %s)
"""
INSERT_SQL = f"""
INSERT INTO parrain_contact (id, program_id, {CONTACT_COLUMNS}, share_name, created_at,
    email_verified_at, import_digest)
SELECT contact_id, %(program)s, {CONTACT_COLUMNS}, '', %(now)s, %(verified)s, digest FROM {TEMP}
WHERE op = 'n'
ORDER BY contact_id
"""  # nosec B608 # only this module's constant table and column names; values are parameters
UPDATE_SQL = f"""
UPDATE parrain_contact c SET {", ".join(f"{n} = t.{n}" for n in COLUMNS)},
    import_digest = t.digest
FROM {TEMP} t WHERE t.op = 'u' AND c.id = t.contact_id
"""  # nosec B608 # only this module's constant table and column names; values are parameters
#: Contacts a row left unchanged, which did not hold its digest yet (op "d"): the digest
#: alone (no audit entry: nothing the program knows changed).
DIGEST_SQL = f"""
UPDATE parrain_contact c SET import_digest = t.digest
FROM {TEMP} t WHERE t.op = 'd' AND c.id = t.contact_id
"""  # nosec B608 # only this module's constant table and column names; values are parameters
AUDIT_SQL = f"""
INSERT INTO parrain_auditevent (program_id, at, action, reason, message, actor, contact_id, data)
SELECT %(program)s, %(now)s, CASE WHEN op = 'n' THEN %(created)s ELSE %(updated)s END, '', '',
    %(actor)s, contact_id, jsonb_build_object('import_id', %(import)s::bigint, 'changed', changed)
FROM {TEMP} WHERE op <> 'd' ORDER BY contact_id
"""  # nosec B608 # only this module's constant table and column names; values are parameters
CONSENT_SQL = f"""
INSERT INTO parrain_consentrecord (program_id, contact_id, channel, given, at, source, text,
    text_version, contact_import_id, actor, created_at)
SELECT %(program)s, t.contact_id, 'email', (r->>0)::boolean, (r->>1)::timestamptz, %(source)s,
    '', '', %(import)s, LEFT(COALESCE(NULLIF(r->>2, ''), %(actor)s), 120), %(now)s
FROM {TEMP} t CROSS JOIN LATERAL jsonb_array_elements(t.consents) WITH ORDINALITY AS e(r, n)
WHERE t.consents IS NOT NULL ORDER BY t.contact_id, e.n
"""  # nosec B608 # only this module's constant table and column names; values are parameters
LOYALTY_SQL = f"""
INSERT INTO parrain_loyaltyentry (program_id, contact_id, kind, custom_kind, points,
    occurred_at, recorded_at, source, reason)
SELECT %(program)s, contact_id, 'import', '', loyalty, %(now)s, %(now)s, 'import', ''
FROM {TEMP} WHERE loyalty IS NOT NULL ORDER BY contact_id
"""  # nosec B608 # only this module's constant table and column names; values are parameters
INVITATIONS_SQL = f"""
UPDATE parrain_invitation i SET referee_consent = t.consent_recontact
FROM {TEMP} t WHERE t.op = 'u' AND t.consent_changed AND i.referee_id = t.contact_id
"""  # nosec B608 # only this module's constant table and column names; values are parameters


def _names_json(names: list[str]) -> str:
    """``json.dumps`` of field names (plain identifiers), five times faster."""
    return '["' + '", "'.join(names) + '"]' if names else "[]"


def _consents_json(state: _State) -> str | None:
    if not state.consents:
        return None
    return json.dumps([[g, at.isoformat(), label] for g, at, label in state.consents])


def _write_copy(
    program: Program,
    states: list[_State],
    restamped: list[_State],
    now: datetime,
    import_id: int | None,
    actor: str,
    source: str,
    verified_at: datetime | None = None,
) -> list[int]:
    params = {
        "source": source,
        "program": program.pk,
        "now": now,
        "import": import_id,
        "actor": actor,
        "created": CREATED,
        "updated": UPDATED,
        "verified": verified_at,
    }
    any_new = any_old = any_consent = any_loyalty = any_consent_change = False
    with connection.cursor() as cursor:
        new = [s for s in states if s.new]
        if new:
            cursor.execute(IDS_SQL, [len(new)])
            for state, (pk,) in zip(new, cursor.fetchall(), strict=True):
                state.id = pk
        cursor.execute(TEMP_SQL)
        cursor.execute(f"TRUNCATE {TEMP}")
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY {TEMP} FROM STDIN") as copy:
            for s in states:
                v = s.values
                any_new |= s.new
                any_old |= not s.new
                any_consent |= bool(s.consents)
                any_loyalty |= bool(s.loyalty)
                any_consent_change |= not s.new and s.consent_changed
                copy.write_row(
                    (
                        "n" if s.new else "u",
                        s.id,
                        *(v[n] for n in COLUMNS[:14]),
                        json.dumps(v["tags"]) if v["tags"] else "[]",
                        _names_json(s.changed),
                        s.consent_changed,
                        s.became_customer,
                        s.loyalty or None,
                        _consents_json(s),
                        s.new_digest,
                    )
                )
            blank = (None,) * (len(COLUMNS) + 5)
            for s in restamped:
                copy.write_row(("d", s.id, *blank, s.new_digest))
        # No ANALYZE (40 ms a batch): every statement below reads the temporary table
        # once, joined to the contacts by primary key, so no plan hangs on its statistics.
        if any_old:
            cursor.execute(UPDATE_SQL)
        if any_new:
            cursor.execute(INSERT_SQL, params)
        if restamped:
            cursor.execute(DIGEST_SQL)
        if states:
            cursor.execute(AUDIT_SQL, params)
        if any_consent:
            cursor.execute(CONSENT_SQL, params)
        if any_loyalty:
            cursor.execute(LOYALTY_SQL, params)
        if any_consent_change:
            cursor.execute(INVITATIONS_SQL)
    return [s.id for s in states if s.became_customer]  # type: ignore[misc]
