"""Contests: setup, tickets, entries, the provably fair draw, prizes.

Contract (issue 12) — signatures shared by every adapter; TODO bodies are built in
branch ``i12-contest-core`` (tickets, freeze, draw, redraw, prizes, notification); the
setup (create/update/open/cancel) is ``core.services.contest_setup``.
The draw algorithm is specified in ``core/draw_verify.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Contact, Contest, ContestWinner


@dataclass(frozen=True)
class Tickets:
    """A contact's standing in one contest."""

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


# --- tickets, draw, prizes (i12-contest-core) --------------------------------------------


def entrant_id(contest: Contest, contact_id: int) -> str:
    """The pseudonymous id of a contact in a contest's entries file (stable, not reversible
    without the server's key)."""
    raise NotImplementedError


def tickets_of(contest: Contest, contact: Contact, at: datetime | None = None) -> Tickets:
    raise NotImplementedError


def contact_contests(contact: Contact, at: datetime | None = None) -> list[Tickets]:
    """The open (or drawn in the last 30 days) contests of the contact's program with the
    contact's tickets, for the widget and the account page."""
    raise NotImplementedError


def opt_in(contest: Contest, contact: Contact) -> None:
    """Record the contact's opt-in (contests with ``opt_in_required``)."""
    raise NotImplementedError


def entries_csv(contest: Contest) -> bytes:
    """The frozen entries file (drawn contests), byte for byte what was hashed; before the
    draw, a preview computed now (not hashed, not published)."""
    raise NotImplementedError


def draw(
    contest: Contest, public_value: str, *, actor: str = "admin", at: datetime | None = None
) -> DrawResult:
    """Freeze entries, hash them, pick one winner per prize unit, publish the seed, notify
    winners (message ``contest_won``) and issue reward prizes once. Idempotent: a drawn
    contest returns its first result (``created=False``). Refused before ``draw_at``,
    when not open, with no entries."""
    raise NotImplementedError


def redraw(winner: ContestWinner, *, actor: str = "admin", reason: str = "") -> ContestWinner:
    """Mark ``winner`` unclaimed and give its prize unit to the next pick of the chain."""
    raise NotImplementedError


def mark_delivered(winner: ContestWinner, *, actor: str = "admin") -> ContestWinner:
    raise NotImplementedError


def public_winner_name(winner: ContestWinner) -> str:
    """First name and initial only ("Alice D."), or the entrant id if unknown/erased."""
    raise NotImplementedError
