"""Contest tickets in SQL: one statement counts every contact's tickets, one freezes them.

Tickets come from the rows of the contest's source whose own date falls inside
``[entries_start, min(entries_end, at))``:

- ``invitation_sent``: a referrer's invitations (``issued_at``); a referee's own referral
  (``invited_at``): one ticket for being invited;
- ``friend_converted``: a referrer's referrals whose friend became a customer
  (``converted_at``); a referee's own referral: one ticket for becoming a customer;
- ``referral_validated``: a referrer's validated (or rewarded) referrals (``validated_at``);
  a referee's own referral once validated: one ticket;
- ``loyalty_action``: the contact's loyalty actions of ``loyalty_kind`` (a ``LoyaltyKind``
  value, else the name of a custom action, any case), less those reversed (``occurred_at``);
- ``badge_held``: ``badge_tickets`` for holding ``badge`` at ``min(entries_end, at)``.

A referral cancelled or held for review (fraud-flagged) never counts, nor does an invitation
whose referral is. For the last two sources, who takes part decides who may enter: a
referrer is an enrolled contact (has a referrer code), a referee a contact with a live
referral (not cancelled, not in review). Erased contacts never enter; with opt-in required
only contacts who opted in do. The cap applies to the total.

A referee has one live referral per program, so as a referee a contact earns at most one
ticket from the referral sources: entering as a friend rewards taking the step, inviting
rewards each friend.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper

from ..models import (
    BadgeHolding,
    Contact,
    Contest,
    ContestEntry,
    ContestOptIn,
    Invitation,
    LoyaltyEntry,
    LoyaltyKind,
    Participants,
    Referral,
    TicketSource,
)
from ..models.choices import ReferralStatus

ENTRANT_LENGTH = 20  # hex characters: 80 bits, no collision among millions of entrants
NOT_COUNTED = (ReferralStatus.CANCELLED.value, ReferralStatus.REVIEW.value)
VALIDATED = (ReferralStatus.VALIDATED.value, ReferralStatus.REWARDED.value)
SQL = tuple[str, list]
FREEZE_WORK_MEM = "256MB"  # per sort or hash, for the freeze's transaction only


def _entrant_key() -> bytes:
    return hashlib.sha256(b"parrain.contest.entrant|" + settings.SECRET_KEY.encode()).digest()


def entrant_prefix(contest: Contest) -> str:
    return f"contest:{contest.pk}:contact:"


def entrant_id(contest: Contest, contact_id: int) -> str:
    return _entrant(entrant_prefix(contest), contact_id)


def _entrant(prefix: str, contact_id: int) -> str:
    message = f"{prefix}{contact_id}".encode()
    return hmac.new(_entrant_key(), message, hashlib.sha256).hexdigest()[:ENTRANT_LENGTH]


def _entrant_sql(contest: Contest, column: str) -> SQL:
    """HMAC-SHA256 in SQL, the same as ``entrant_id``: PostgreSQL's ``sha256`` over the
    key's inner and outer pads (RFC 2104); SQLite calls a Python function."""
    if connection.vendor != "postgresql":
        connection.ensure_connection()
        connection.connection.create_function("parrain_entrant", 2, _entrant, deterministic=True)
        return f"parrain_entrant(%s, {column})", [entrant_prefix(contest)]
    key = _entrant_key().ljust(64, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
    sql = (
        "left(encode(sha256(%s::bytea || sha256(%s::bytea || "
        f"convert_to(%s || {column}::text, 'UTF8'))), 'hex'), {ENTRANT_LENGTH})"
    )
    return sql, [outer, inner, entrant_prefix(contest)]


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _dt(value: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"  # our own constants only


def _referral_rows(contest: Contest, side: str, end: datetime, only: int | None) -> SQL:
    stamp = {
        TicketSource.INVITATION_SENT: "invited_at",
        TicketSource.FRIEND_CONVERTED: "converted_at",
        TicketSource.REFERRAL_VALIDATED: "validated_at",
    }[TicketSource(contest.ticket_source)]
    status = f"r.status IN {_in(VALIDATED)}" if stamp == "validated_at" else "TRUE"
    sql = (
        f"SELECT r.{side}_id AS contact_id, COUNT(*) AS n FROM {_table(Referral)} r "  # nosec B608 # table names, constants; values are parameters
        f"WHERE r.program_id = %s AND r.{stamp} >= %s AND r.{stamp} < %s "
        f"AND r.status NOT IN {_in(NOT_COUNTED)} AND {status}"
    )
    params = [contest.program_id, _dt(contest.entries_start), _dt(end)]
    return _only(sql, params, f"r.{side}_id", only, f"r.{side}_id")


def _only(sql: str, params: list, column: str, only: int | None, group: str) -> SQL:
    if only is not None:
        sql, params = f"{sql} AND {column} = %s", [*params, only]
    return f"{sql} GROUP BY {group}", params


def _invitation_rows(contest: Contest, end: datetime, only: int | None) -> SQL:
    sql = (
        f"SELECT i.referrer_id AS contact_id, COUNT(*) AS n FROM {_table(Invitation)} i "  # nosec B608 # table names, constants; values are parameters
        "WHERE i.program_id = %s AND i.issued_at >= %s AND i.issued_at < %s "
        f"AND NOT EXISTS (SELECT 1 FROM {_table(Referral)} r WHERE r.invitation_id = i.id "
        f"AND r.status IN {_in(NOT_COUNTED)})"
    )
    params = [contest.program_id, _dt(contest.entries_start), _dt(end)]
    return _only(sql, params, "i.referrer_id", only, "i.referrer_id")


def _loyalty_rows(contest: Contest, end: datetime, only: int | None) -> SQL:
    kind = contest.loyalty_kind
    if kind in LoyaltyKind.values:
        which, params = "l.kind = %s", [kind]
    else:
        which, params = "l.kind = %s AND LOWER(l.custom_kind) = LOWER(%s)", ["custom", kind]
    table = _table(LoyaltyEntry)
    sql = (
        f"SELECT l.contact_id AS contact_id, COUNT(*) AS n FROM {table} l "  # nosec B608 # table names, constants; values are parameters
        f"WHERE l.program_id = %s AND {which} AND l.occurred_at >= %s AND l.occurred_at < %s "
        f"AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.reversal_of_id = l.id)"
    )
    params = [contest.program_id, *params, _dt(contest.entries_start), _dt(end)]
    return _only(sql, params, "l.contact_id", only, "l.contact_id")


def _badge_rows(contest: Contest, end: datetime, only: int | None) -> SQL:
    sql = (
        f"SELECT h.contact_id AS contact_id, {int(contest.badge_tickets)} AS n "  # nosec B608 # table names, constants; values are parameters
        f"FROM {_table(BadgeHolding)} h "
        "WHERE h.badge_id = %s AND h.awarded_at <= %s AND (h.lost_at IS NULL OR h.lost_at > %s)"
    )
    params = [contest.badge_id or 0, _dt(end), _dt(end)]
    return _only(sql, params, "h.contact_id", only, "h.contact_id")


def _sources(contest: Contest, end: datetime, only: int | None) -> list[SQL]:
    source = TicketSource(contest.ticket_source)
    if source == TicketSource.LOYALTY_ACTION:
        return [_loyalty_rows(contest, end, only)]
    if source == TicketSource.BADGE_HELD:
        return [_badge_rows(contest, end, only)]
    sides = {
        Participants.REFERRERS: ["referrer"],
        Participants.REFEREES: ["referee"],
        Participants.BOTH: ["referrer", "referee"],
    }[Participants(contest.participants)]
    rows = []
    for side in sides:
        if side == "referrer" and source == TicketSource.INVITATION_SENT:
            rows.append(_invitation_rows(contest, end, only))
        else:
            rows.append(_referral_rows(contest, side, end, only))
    return rows


def _who_may_enter(contest: Contest, opt_in: bool) -> SQL:
    """Conditions on the contact ``c``: not erased, opted in, a participant of the kind."""
    conditions, params = ["c.program_id = %s", "c.erased_at IS NULL"], [contest.program_id]
    if contest.opt_in_required and opt_in:
        conditions.append(
            f"EXISTS (SELECT 1 FROM {_table(ContestOptIn)} o "  # nosec B608 # table names, constants; values are parameters
            "WHERE o.contest_id = %s AND o.contact_id = c.id)"
        )
        params.append(contest.pk)
    if contest.ticket_source in (TicketSource.LOYALTY_ACTION, TicketSource.BADGE_HELD):
        referrer = "c.referrer_code IS NOT NULL"
        referee = (
            f"EXISTS (SELECT 1 FROM {_table(Referral)} q WHERE q.referee_id = c.id "  # nosec B608 # table names, constants; values are parameters
            f"AND q.program_id = %s AND q.status NOT IN {_in(NOT_COUNTED)})"
        )
        match contest.participants:
            case Participants.REFERRERS:
                conditions.append(referrer)
            case Participants.REFEREES:
                conditions.append(referee)
                params.append(contest.program_id)
            case _:
                conditions.append(f"({referrer} OR {referee})")
                params.append(contest.program_id)
    return " AND ".join(conditions), params


def tickets_sql(
    contest: Contest, end: datetime, *, only: int | None = None, opt_in: bool = True
) -> SQL:
    """``SELECT contact_id, uncapped`` for every contact with tickets (or just ``only``)."""
    parts = _sources(contest, end, only)
    union = " UNION ALL ".join(sql for sql, _ in parts)
    params = [p for _, sub in parts for p in sub]
    where, where_params = _who_may_enter(contest, opt_in)
    if len(parts) == 1:  # already one row per contact: no second aggregation
        select, group = "s.n", ""
    else:
        select, group = "SUM(s.n)", " GROUP BY s.contact_id"
    sql = (
        f"SELECT s.contact_id AS contact_id, {select} AS uncapped FROM ({union}) s "  # nosec B608 # table names, constants; values are parameters
        f"JOIN {_table(Contact)} c ON c.id = s.contact_id WHERE {where}{group}"
    )
    return sql, [*params, *where_params]


def entries_sql(contest: Contest, end: datetime) -> SQL:
    """``SELECT position, entrant, contact_id, tickets``: the entries file's rows, in order."""
    inner, params = tickets_sql(contest, end)
    entrant, entrant_params = _entrant_sql(contest, "t.contact_id")
    capped = "t.uncapped"
    if contest.ticket_cap:
        least = "LEAST" if connection.vendor == "postgresql" else "MIN"
        capped = f"{least}(t.uncapped, {int(contest.ticket_cap)})"
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    sql = (
        f"SELECT ROW_NUMBER() OVER (ORDER BY e.entrant{collate}) - 1 AS position, e.entrant, "  # nosec B608 # table names, constants; values are parameters
        "e.contact_id, e.tickets FROM ("
        f"SELECT {entrant} AS entrant, t.contact_id AS contact_id, {capped} AS tickets "
        f"FROM ({inner}) t) e WHERE e.tickets > 0"
    )
    return sql, [*entrant_params, *params]


def freeze(cursor: CursorWrapper, contest: Contest, end: datetime) -> int:
    """Write the contest's ``ContestEntry`` rows with one ``INSERT … SELECT``."""
    select, params = entries_sql(contest, end)
    if connection.vendor == "postgresql":
        # A million contacts' counts and their sort by entrant fit in memory, not on disk.
        cursor.execute(f"SET LOCAL work_mem = '{FREEZE_WORK_MEM}'")
    sql = (
        f"INSERT INTO {_table(ContestEntry)} (contest_id, position, entrant, contact_id, "  # nosec B608 # table names, constants; values are parameters
        f"tickets) SELECT %s, f.position, f.entrant, f.contact_id, f.tickets FROM ({select}) f"
    )
    cursor.execute(sql, [contest.pk, *params])
    return cursor.rowcount
