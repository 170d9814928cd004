"""Contests: tickets, entries, the provably fair draw, redraws, prizes.

The setup (create/update/open/cancel) is ``core.services.contest_setup``; the draw
algorithm is specified in ``core/draw_verify.py`` and tickets are counted by
``core.services.contest_tickets`` (its docstring says what gives a ticket).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import audit, draw_verify, signals
from ..exceptions import InvalidInput, Refused
from ..locks import row_for_update
from ..messaging import plain_name
from ..models import (
    Contact,
    Contest,
    ContestEntry,
    ContestOptIn,
    ContestPrize,
    ContestStatus,
    ContestWinner,
    Program,
    WinnerStatus,
)
from . import contest_prizes, contest_tickets

#: A drawn contest stays on the participants' screens this long (its winners, their prize).
SHOWN_AFTER_DRAW = timedelta(days=30)
PUBLIC_VALUE_MAX = 255


@dataclass(frozen=True)
class Tickets:
    """A contact's standing in one contest.

    ``tickets`` is what the entries file would hold for them now (0 when opt-in is required
    and missing), or what it holds once drawn; ``uncapped`` what their activity earned.
    """

    contest: Contest
    tickets: int  # capped
    uncapped: int
    cap: int  # 0: no cap
    opted_in: bool | None  # None when opt-in is not required
    entrant: str  # the pseudonymous id they will have in the entries file


@dataclass(frozen=True)
class DrawResult:
    contest: Contest
    winners: list[ContestWinner]
    created: bool  # False: the contest was already drawn, this is the first result
    undrawn: int = 0  # prize units left without a winner (fewer entrants than units)


# --- tickets ------------------------------------------------------------------------------


def entrant_id(contest: Contest, contact_id: int) -> str:
    """The pseudonymous id of a contact in a contest's entries file (stable, not reversible
    without the server's key)."""
    return contest_tickets.entrant_id(contest, contact_id)


def tickets_of(contest: Contest, contact: Contact, at: datetime | None = None) -> Tickets:
    entrant = entrant_id(contest, contact.pk)
    opted_in = _opted_in(contest, contact)
    if contest.status == ContestStatus.DRAWN:
        entry = contest.entries.filter(contact=contact).first()
        count = entry.tickets if entry else 0
        return Tickets(contest, count, count, contest.ticket_cap, opted_in, entrant)
    uncapped = _uncapped(contest, contact, at or timezone.now())
    capped = min(uncapped, contest.ticket_cap) if contest.ticket_cap else uncapped
    counted = 0 if opted_in is False else capped
    return Tickets(contest, counted, uncapped, contest.ticket_cap, opted_in, entrant)


def _uncapped(contest: Contest, contact: Contact, at: datetime) -> int:
    end = min(contest.entries_end, at)
    sql, params = contest_tickets.tickets_sql(contest, end, only=contact.pk, opt_in=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return int(row[1]) if row else 0


def _opted_in(contest: Contest, contact: Contact) -> bool | None:
    if not contest.opt_in_required:
        return None
    return ContestOptIn.objects.filter(contest=contest, contact=contact).exists()


def contact_contests(contact: Contact, at: datetime | None = None) -> list[Tickets]:
    """The open (or drawn in the last 30 days) contests of the contact's program with the
    contact's tickets, for the widget and the account page."""
    at = at or timezone.now()
    contests = Contest.objects.filter(program_id=contact.program_id).filter(
        status=ContestStatus.OPEN
    ) | Contest.objects.filter(
        program_id=contact.program_id,
        status=ContestStatus.DRAWN,
        drawn_at__gte=at - SHOWN_AFTER_DRAW,
    )
    return [tickets_of(c, contact, at) for c in contests.order_by("draw_at", "pk")]


def opt_in(contest: Contest, contact: Contact) -> None:
    """Record the contact's opt-in (contests with ``opt_in_required``); again: no change."""
    if not Contest.objects.filter(pk=contest.pk, status=ContestStatus.OPEN).exists():
        raise Refused("contest_not_open", _("This contest is not open."))
    if contact.program_id != contest.program_id or contact.is_erased:
        raise Refused("not_a_participant", _("This person cannot take part in this contest."))
    _opt_in, created = ContestOptIn.objects.get_or_create(contest=contest, contact=contact)
    if created:
        audit.record(contest.program, "contest.opted_in", contact=contact, contest=contest.pk)


# --- entries ------------------------------------------------------------------------------


def entries_csv(contest: Contest) -> bytes:
    """The frozen entries file (from the end of the entries on), byte for byte what was
    hashed; before, a preview computed now (not hashed, not published)."""
    if contest.entries_frozen_at is not None:
        return draw_verify.entries_file(_frozen_rows(contest))
    end = min(contest.entries_end, timezone.now())
    sql, params = contest_tickets.entries_sql(contest, end)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return draw_verify.entries_file((entrant, tickets) for _p, entrant, _c, tickets in cursor)


def _frozen_rows(contest: Contest) -> list[tuple[str, int]]:
    rows = ContestEntry.objects.filter(contest=contest).order_by("position")
    return list(rows.values_list("entrant", "tickets").iterator(chunk_size=20_000))


def freeze_entries(contest: Contest, *, at: datetime | None = None) -> Contest:
    """Freeze an open contest's entries once its entry period has ended: the rows, their
    file's SHA-256, the counts — published on the contest page before the draw date, so
    before the public value exists. Does nothing to a contest already frozen; refused
    before the end of the entries."""
    now = at or timezone.now()
    with transaction.atomic():
        contest = row_for_update(Contest, contest.pk)
        if contest.entries_frozen_at is not None:
            return contest
        if contest.status != ContestStatus.OPEN:
            raise Refused("contest_not_open", _("Only an open contest's entries are frozen."))
        if now < contest.entries_end:
            raise Refused(
                "entries_still_open",
                _("The entries are frozen when the entry period ends, not before."),
            )
        _freeze(contest, now)
        audit.record(
            contest.program,
            "contest.entries_frozen",
            actor="system",
            contest=contest.pk,
            entries_hash=contest.entries_hash,
            entries=contest.entries_count,
            tickets=contest.tickets_total,
        )
    return contest


def freeze_due_entries(at: datetime | None = None) -> list[Contest]:
    """Freeze every open contest whose entry period has ended (periodic task)."""
    now = at or timezone.now()
    due = Contest.objects.filter(
        status=ContestStatus.OPEN, entries_frozen_at__isnull=True, entries_end__lte=now
    )
    return [freeze_entries(contest, at=now) for contest in due]


def _freeze(contest: Contest, now: datetime) -> None:
    """Write the entries (once) and record the file's hash and counts on ``contest``."""
    with connection.cursor() as cursor:
        contest_tickets.freeze(cursor, contest, contest.entries_end)
    rows = _frozen_rows(contest)
    contest.entries_hash = draw_verify.entries_hash(draw_verify.entries_file(rows))
    contest.entries_count = len(rows)
    contest.tickets_total = sum(t for _e, t in rows)
    contest.entries_frozen_at = now
    contest.save(
        update_fields=["entries_hash", "entries_count", "tickets_total", "entries_frozen_at"]
    )


# --- the draw -----------------------------------------------------------------------------


def draw(
    contest: Contest, public_value: str, *, actor: str = "admin", at: datetime | None = None
) -> DrawResult:
    """Freeze entries, hash them, pick one winner per prize unit, publish the seed, notify
    winners (message ``contest_won``) and issue reward prizes once. Idempotent: a drawn
    contest returns its first result (``created=False``). Refused before ``draw_at``,
    when not open, with no entries."""
    public_value = _checked_public_value(public_value)
    now = at or timezone.now()
    with transaction.atomic():
        contest = row_for_update(Contest, contest.pk)
        if contest.status == ContestStatus.DRAWN:
            return DrawResult(contest, live_winners(contest), False, _undrawn(contest))
        _check_drawable(contest, now)
        units = prize_units(contest)
        if contest.entries_frozen_at is None:  # the periodic task did not run: freeze now
            _freeze(contest, now)
        if not contest.entries_count:
            raise Refused("no_entries", _("Nobody has a ticket: there is nothing to draw."))
        rows = _frozen_rows(contest)
        _publish(contest, public_value, now)
        tickets = [t for _entrant, t in rows]
        chain = draw_verify.draw_chain(
            tickets, contest.server_seed, public_value, contest.entries_hash, len(units)
        )
        winners = _record_winners(contest, units, chain, now)
        undrawn = len(units) - len(winners)
        _announce_draw(contest, winners, undrawn, actor)
    return DrawResult(contest, winners, True, undrawn)


def _checked_public_value(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(
            _("Type the public value named in the rules (e.g. the lottery result)."),
            field="public_value",
        )
    if len(value) > PUBLIC_VALUE_MAX:
        raise InvalidInput(
            _("The public value is %(max)s characters at most.") % {"max": PUBLIC_VALUE_MAX},
            field="public_value",
        )
    return value


def _check_drawable(contest: Contest, now: datetime) -> None:
    if contest.status != ContestStatus.OPEN:
        raise Refused("contest_not_open", _("Only an open contest can be drawn."))
    if now < contest.draw_at:
        raise Refused(
            "before_draw_date",
            _("The draw date is %(date)s: the draw cannot happen before it.")
            % {"date": timezone.localtime(contest.draw_at).strftime("%Y-%m-%d %H:%M")},
        )
    if not contest.server_seed:
        raise Refused("no_commitment", _("This contest was opened without a commitment."))
    if not prize_units(contest):
        raise Refused("no_prizes", _("This contest has no prize to draw."))


def prize_units(contest: Contest) -> list[tuple[ContestPrize, int]]:
    """Every unit of every prize, in the order picks serve them (step 5 of the algorithm)."""
    prizes = ContestPrize.objects.filter(contest=contest).order_by("position", "pk")
    return [(prize, unit) for prize in prizes for unit in range(prize.quantity)]


def _publish(contest: Contest, public: str, now: datetime) -> None:
    contest.public_value = public
    contest.algorithm = draw_verify.ALGORITHM
    contest.drawn_at = now
    contest.status = ContestStatus.DRAWN
    contest.save(
        update_fields=[
            "public_value",
            "algorithm",
            "drawn_at",
            "status",
        ]
    )


def _record_winners(
    contest: Contest, units: list[tuple[ContestPrize, int]], chain: list[int], now: datetime
) -> list[ContestWinner]:
    entries = _entries_at(contest, chain)
    winners = [
        ContestWinner(
            contest=contest,
            prize=prize,
            unit=unit,
            pick=pick,
            entry=entries[position],
            drawn_at=now,
        )
        for pick, ((prize, unit), position) in enumerate(zip(units, chain, strict=False))
    ]
    return ContestWinner.objects.bulk_create(winners)


def _entries_at(contest: Contest, positions: list[int]) -> dict[int, ContestEntry]:
    found = ContestEntry.objects.filter(contest=contest, position__in=positions)
    return {entry.position: entry for entry in found.select_related("contact")}


def _announce_draw(
    contest: Contest, winners: list[ContestWinner], undrawn: int, actor: str
) -> None:
    audit.record(
        contest.program,
        "contest.drawn",
        actor=actor,
        contest=contest.pk,
        algorithm=contest.algorithm,
        entries_hash=contest.entries_hash,
        entries=contest.entries_count,
        tickets=contest.tickets_total,
        public_value=contest.public_value,
        seed=contest.server_seed,
        picks=" ".join(f"{w.pick}:{w.entry.entrant}" for w in winners),
        undrawn_units=undrawn,
    )
    signals.contest_drawn.send(Program, contest=contest, winners=winners)
    contest_prizes.award_after_commit(winners)


def live_winners(contest: Contest) -> list[ContestWinner]:
    """The winners holding a prize unit (redrawn ones left out), in pick order."""
    found = contest.winners.exclude(status=WinnerStatus.UNCLAIMED)
    return list(found.select_related("prize", "entry__contact").order_by("pick"))


def _undrawn(contest: Contest) -> int:
    return len(prize_units(contest)) - len(live_winners(contest))


# --- after the draw -----------------------------------------------------------------------


def redraw(winner: ContestWinner, *, actor: str = "admin", reason: str = "") -> ContestWinner:
    """Mark ``winner`` unclaimed and give its prize unit to the next pick of the chain."""
    with transaction.atomic():
        contest = row_for_update(Contest, winner.contest_id)
        winner = row_for_update(ContestWinner, winner.pk)
        _check_redrawable(contest, winner)
        picks = list(contest.winners.order_by("pick").values_list("pick", "entry__position"))
        rows = _frozen_rows(contest)
        chain = draw_verify.draw_chain(
            [t for _e, t in rows],
            contest.server_seed,
            contest.public_value,
            contest.entries_hash,
            len(picks) + 1,
        )
        if chain[: len(picks)] != [position for _pick, position in picks]:
            raise RuntimeError(f"contest {contest.pk}: the stored picks are not the chain's")
        if len(chain) <= len(picks):
            raise Refused("no_entrant_left", _("Every entrant has already been picked."))
        winner.status = WinnerStatus.UNCLAIMED
        winner.save(update_fields=["status"])
        contest_prizes.withdraw(winner)
        entry = _entries_at(contest, [chain[-1]])[chain[-1]]
        new = ContestWinner.objects.create(
            contest=contest, prize=winner.prize, unit=winner.unit, pick=len(picks), entry=entry
        )
        audit.record(
            contest.program,
            "contest.redrawn",
            actor=actor,
            reason=reason[:60],
            contest=contest.pk,
            unclaimed_pick=f"{winner.pick}:{winner.entry.entrant}",
            pick=f"{new.pick}:{entry.entrant}",
        )
        signals.contest_drawn.send(Program, contest=contest, winners=[new])
        contest_prizes.award_after_commit([new])
    return new


def _check_redrawable(contest: Contest, winner: ContestWinner) -> None:
    if contest.status != ContestStatus.DRAWN:
        raise Refused("contest_not_drawn", _("Only a drawn contest can be redrawn."))
    if winner.status == WinnerStatus.UNCLAIMED:
        raise Refused("already_redrawn", _("This prize was already redrawn."))
    if winner.status == WinnerStatus.CLAIMED or contest_prizes.redeemed(winner):
        raise Refused("prize_delivered", _("This prize was delivered: it cannot be redrawn."))


def mark_delivered(winner: ContestWinner, *, actor: str = "admin") -> ContestWinner:
    """The shop owner handed the prize over (physical prizes, or a reward they confirm)."""
    with transaction.atomic():
        winner = row_for_update(ContestWinner, winner.pk)
        if winner.status == WinnerStatus.UNCLAIMED:
            raise Refused("already_redrawn", _("This prize was redrawn to someone else."))
        if winner.status == WinnerStatus.CLAIMED:
            return winner
        winner.status = WinnerStatus.CLAIMED
        winner.delivered_at = timezone.now()
        winner.save(update_fields=["status", "delivered_at"])
        audit.record(
            winner.contest.program,
            "contest.prize_delivered",
            actor=actor,
            contest=winner.contest_id,
            pick=winner.pick,
            contact=winner.entry.contact,
        )
    return winner


def public_winner_name(winner: ContestWinner) -> str:
    """First name and initial only ("Alice D."), or the entrant id if unknown/erased."""
    contact = winner.entry.contact
    if contact is None or contact.is_erased:
        return winner.entry.entrant
    first = plain_name(contact.first_name)
    if not first:
        return winner.entry.entrant
    last = plain_name(contact.last_name)
    return f"{first} {last[0].upper()}." if last else first
