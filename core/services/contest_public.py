"""What anyone may see of a contest: the public page, the public API and the entries file.

A draft (never opened) contest is not public. Once open: the rules, the period, the prizes,
the public value's source and the commitment; once drawn, also the seed, the public value,
the entries file and its hash, and the winners as first name + initial only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from django.urls import NoReverseMatch, reverse
from django.utils import translation

from ..conf import parrain_settings
from ..models import Contest, ContestWinner
from ..models.contest import ContestStatus, WinnerStatus
from . import contests

FAIR_DRAW_DOC = "https://github.com/parrain/parrain/blob/main/docs/fair-draw.md"


@dataclass(frozen=True)
class PublicWinner:
    prize: str
    unit: int
    pick: int
    name: str
    entrant: str
    redrawn: bool


@dataclass(frozen=True)
class PublicContest:
    contest: Contest
    language: str
    name: str
    rules_text: str
    page_url: str
    participants: str
    ticket_source: str
    prizes: list[tuple[str, int]]
    drawn: bool
    entries_url: str | None = None
    verify_command: str | None = None
    winners: list[PublicWinner] = field(default_factory=list)

    @property
    def countdown_to(self) -> datetime | None:
        """The next moment a visitor waits for: the end of the entries, then the draw."""
        from django.utils import timezone

        now = timezone.now()
        if self.contest.status != ContestStatus.OPEN:
            return None
        if now < self.contest.entries_end:
            return self.contest.entries_end
        return self.contest.draw_at if now < self.contest.draw_at else None


def is_public(contest: Contest) -> bool:
    return contest.opened_at is not None and contest.status != ContestStatus.DRAFT


def find_public(public_id: str, program_id: int | None = None) -> Contest | None:
    """The contest with ``public_id`` if anyone may see it (of ``program_id`` when given)."""
    found = Contest.objects.select_related("program").filter(public_id=public_id[:16])
    if program_id is not None:
        found = found.filter(program_id=program_id)
    contest = found.first()
    return contest if contest is not None and is_public(contest) else None


def _absolute(name: str, public_id: str, fallback: str) -> str:
    try:
        path = reverse(name, args=[public_id])
    except NoReverseMatch:  # core URLs not installed
        path = fallback
    return parrain_settings.BASE_URL.rstrip("/") + path


def page_url(contest: Contest) -> str:
    public_id = contest.public_id
    return _absolute("parrain:contest", public_id, f"/contest/{quote(public_id)}/")


def entries_url(contest: Contest) -> str:
    public_id = contest.public_id
    return _absolute(
        "parrain:contest-entries", public_id, f"/contest/{quote(public_id)}/entries.csv"
    )


def verify_command(contest: Contest, picks: int | None = None) -> str:
    """The standalone verifier's command line, with the published values filled in."""
    if picks is None:
        picks = ContestWinner.objects.filter(contest=contest).count()
    return (
        "python -m parrain.core.draw_verify entries.csv "
        f"--seed {contest.server_seed} --public {_shell_quote(contest.public_value)} "
        f"--commitment {contest.commitment} --hash {contest.entries_hash} --picks {picks}"
    )


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def text_in(texts: dict[str, str], language: str, fallback: str = "") -> str:
    """The text in ``language``, else in any language, else ``fallback``."""
    texts = texts or {}
    return texts.get(language) or next((t for t in texts.values() if t), fallback)


def winners(contest: Contest) -> list[PublicWinner]:
    rows = (
        ContestWinner.objects.filter(contest=contest)
        .select_related("prize", "entry__contact")
        .order_by("pick")
    )
    return [
        PublicWinner(
            prize=row.prize.label,
            unit=row.unit,
            pick=row.pick,
            name=contests.public_winner_name(row),
            entrant=row.entry.entrant,
            redrawn=row.status == WinnerStatus.UNCLAIMED,
        )
        for row in rows
    ]


def public_view(contest: Contest, language: str) -> PublicContest:
    """The contest as a visitor reading ``language`` sees it."""
    drawn = contest.status == ContestStatus.DRAWN
    picked = winners(contest) if drawn else []
    with translation.override(language):
        return PublicContest(
            contest=contest,
            language=language,
            name=text_in(contest.names, language, contest.name),
            rules_text=text_in(contest.rules_texts, language),
            page_url=page_url(contest),
            participants=str(contest.get_participants_display()),
            ticket_source=str(contest.get_ticket_source_display()),
            prizes=[(p.label, p.quantity) for p in contest.prizes.order_by("position", "pk")],
            drawn=drawn,
            entries_url=entries_url(contest) if contest.entries_frozen_at else None,
            verify_command=verify_command(contest, len(picked)) if drawn else None,
            winners=picked,
        )
