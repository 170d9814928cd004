"""``/api/v1/programs/{slug}/contests…``: set up a contest, open it, export its entries,
run the draw (idempotent), redraw an unclaimed prize, mark a prize delivered.

Thin adapters over ``services.contest_setup`` and ``services.contests``; a refusal is a
problem (RFC 9457) naming the field, and leaves what was stored as it was.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from pydantic import BaseModel

from ..exceptions import InvalidInput, NotFound
from ..models import Contest, ContestWinner
from ..models.contest import ContestStatus
from ..services import contest_public, contest_setup, contests
from . import contest_schemas as s
from .problems import Problem
from .security import SecretKey, actor_of, program_of

ContestId = Annotated[int, Path(ge=1, lt=2**63)]
WinnerId = Annotated[int, Path(ge=1, lt=2**63)]
CONTESTS = "/programs/{slug}/contests"
CONTEST = CONTESTS + "/{contest_id}"
ERRORS: dict[int, type[Problem]] = {c: Problem for c in (400, 401, 404, 409, 413, 415, 422)}
CSV_RESPONSE = {
    "responses": {
        200: {
            "description": "The entries file: header entrant,tickets, one line per entrant. "
            "Once drawn, byte for byte the published file (its SHA-256 is entries_hash); "
            "before, a preview computed now (X-Parrain-Preview: true).",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}

router = Router(auth=SecretKey(), tags=["contests"])


def _responses(*success: int, model: Any) -> dict[int, Any]:
    return {**{status: model for status in success}, **ERRORS}


def _contest(request: HttpRequest, contest_id: int) -> Contest:
    found = (
        Contest.objects.select_related("program")
        .filter(program=program_of(request), pk=contest_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No contest with this id in this program."), field="contest_id")
    return found


def _winner(contest: Contest, winner_id: int) -> ContestWinner:
    found = (
        ContestWinner.objects.select_related("prize", "entry__contact")
        .filter(contest=contest, pk=winner_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No winner with this id in this contest."), field="winner_id")
    return found


def contest_out(contest: Contest) -> s.ContestOut:
    prizes = [
        s.PrizeOut(
            id=p.pk,
            position=p.position,
            label=p.label,
            quantity=p.quantity,
            reward=s.PrizeRewardOut(
                kind=p.reward_rule.kind,
                value=p.reward_rule.value,
                product_ref=p.reward_rule.product_ref,
            )
            if p.reward_rule
            else None,
        )
        for p in contest.prizes.select_related("reward_rule").order_by("position", "pk")
    ]
    drawn = contest.status == ContestStatus.DRAWN
    return s.ContestOut(
        id=contest.pk,
        public_id=contest.public_id,
        public_url=contest_public.page_url(contest),
        name=contest.name,
        names=contest.names or {},
        rules_texts=contest.rules_texts or {},
        rules_url=contest.rules_url,
        status=contest.status,  # type: ignore[arg-type]
        entries_start=contest.entries_start,
        entries_end=contest.entries_end,
        draw_at=contest.draw_at,
        participants=contest.participants,  # type: ignore[arg-type]
        ticket_source=contest.ticket_source,  # type: ignore[arg-type]
        loyalty_kind=contest.loyalty_kind,
        badge=contest.badge_id,
        badge_tickets=contest.badge_tickets,
        ticket_cap=contest.ticket_cap,
        opt_in_required=contest.opt_in_required,
        public_value_source=contest.public_value_source,
        prizes=prizes,
        commitment=contest.commitment,
        opened_at=contest.opened_at,
        server_seed=contest.server_seed if drawn else None,
        public_value=contest.public_value,
        entries_hash=contest.entries_hash,
        entries_count=contest.entries_count,
        tickets_total=contest.tickets_total,
        entries_frozen_at=contest.entries_frozen_at,
        drawn_at=contest.drawn_at,
        algorithm=contest.algorithm,
        created_at=contest.created_at,
    )


def winner_out(winner: ContestWinner) -> s.WinnerOut:
    contact = winner.entry.contact
    return s.WinnerOut(
        id=winner.pk,
        prize=winner.prize_id,
        prize_label=winner.prize.label,
        unit=winner.unit,
        pick=winner.pick,
        entrant=winner.entry.entrant,
        contact_id=contact.pk if contact else None,
        email=contact.email if contact and not contact.is_erased else None,
        public_name=contests.public_winner_name(winner),
        status=winner.status,  # type: ignore[arg-type]
        drawn_at=winner.drawn_at,
        notified_at=winner.notified_at,
        delivered_at=winner.delivered_at,
    )


def _winners(contest: Contest) -> list[s.WinnerOut]:
    rows = ContestWinner.objects.filter(contest=contest).select_related("prize", "entry__contact")
    return [winner_out(w) for w in rows.order_by("pick")]


def _prize_specs(prizes: list[s.PrizeIn]) -> list[dict[str, Any]]:
    return [p.model_dump() for p in prizes]


# Setup


class ContestFilter(BaseModel):
    status: Literal["draft", "open", "drawn", "cancelled"] | None = None


@router.get(CONTESTS, response=_responses(200, model=s.ContestList))
def list_contests(request: HttpRequest, slug: str, q: Query[ContestFilter]) -> Any:
    """The program's contests, latest entry period first."""
    found = Contest.objects.filter(program=program_of(request))
    if q.status:
        found = found.filter(status=q.status)
    return s.ContestList(items=[contest_out(c) for c in found.order_by("-entries_start", "-pk")])


@router.post(CONTESTS, response=_responses(201, model=s.ContestOut))
def create_contest(request: HttpRequest, slug: str, payload: s.ContestIn) -> Status[Any]:
    """Create a draft contest with its prizes, in order. Opening it needs rules (a text or
    the rules URL), at least one prize and the public value's source."""
    data = payload.model_dump()
    prizes = _prize_specs(payload.prizes)
    data.pop("prizes")
    contest = contest_setup.create_contest(
        program_of(request), prizes=prizes, actor=actor_of(request), **data
    )
    return Status(201, contest_out(contest))


@router.get(CONTEST, response=_responses(200, model=s.ContestOut))
def get_contest(request: HttpRequest, slug: str, contest_id: ContestId) -> Any:
    return contest_out(_contest(request, contest_id))


@router.patch(CONTEST, response=_responses(200, model=s.ContestOut))
def patch_contest(
    request: HttpRequest, slug: str, contest_id: ContestId, payload: s.ContestPatch
) -> Any:
    """Change the fields sent, all or nothing. Once open, only the texts, the rules URL and
    a later draw date (409 otherwise); once drawn or cancelled, nothing."""
    contest = _contest(request, contest_id)
    changes = payload.model_dump(exclude_unset=True)
    prizes = changes.pop("prizes", None)
    for field, value in changes.items():
        if value is None and field != "badge":
            raise InvalidInput(_("This field cannot be null."), field=field)
    contest = contest_setup.update_contest(
        contest,
        prizes=None if prizes is None else _prize_specs(payload.prizes or []),
        actor=actor_of(request),
        **changes,
    )
    return contest_out(contest)


@router.delete(CONTEST, response=_responses(204, model=None))
def delete_contest(request: HttpRequest, slug: str, contest_id: ContestId) -> Status[None]:
    """Delete a draft (never opened); an open contest is cancelled instead."""
    contest_setup.delete_contest(_contest(request, contest_id), actor=actor_of(request))
    return Status(204, None)


@router.post(f"{CONTEST}/open", response=_responses(200, model=s.ContestOut))
def open_contest(request: HttpRequest, slug: str, contest_id: ContestId) -> Any:
    """Open the contest: a secret seed is made and its SHA-256 ``commitment`` published.
    Refused (422, naming the field) without rules, prizes or public value source."""
    contest = contest_setup.open_contest(_contest(request, contest_id), actor=actor_of(request))
    return contest_out(contest)


@router.post(f"{CONTEST}/cancel", response=_responses(200, model=s.ContestOut))
def cancel_contest(request: HttpRequest, slug: str, contest_id: ContestId) -> Any:
    """End a draft or open contest without a draw."""
    contest = contest_setup.cancel_contest(_contest(request, contest_id), actor=actor_of(request))
    return contest_out(contest)


# Entries and the draw


def entries_file(request: HttpRequest, slug: str, contest_id: ContestId) -> HttpResponse:
    """The entries file as CSV (see CSV_RESPONSE)."""
    contest = _contest(request, contest_id)
    return entries_response(contest)


def entries_response(contest: Contest) -> HttpResponse:
    drawn = contest.status == ContestStatus.DRAWN
    response = HttpResponse(contests.entries_csv(contest), content_type="text/csv; charset=utf-8")
    kind = "entries" if drawn else "entries-preview"
    response["Content-Disposition"] = f'attachment; filename="{contest.public_id}-{kind}.csv"'
    response["X-Parrain-Preview"] = "false" if drawn else "true"
    if drawn:
        response["X-Parrain-Entries-Hash"] = contest.entries_hash
    response["Cache-Control"] = "no-store"
    return response


router.add_api_operation(
    f"{CONTEST}/entries.csv",
    ["GET"],
    entries_file,
    response=ERRORS,
    openapi_extra=CSV_RESPONSE,
    summary="Entries file (CSV)",
)


@router.post(f"{CONTEST}/draw", response=_responses(200, 201, model=s.DrawOut))
def draw(request: HttpRequest, slug: str, contest_id: ContestId, payload: s.DrawIn) -> Status[Any]:
    """Freeze the entries, publish their hash and the seed, pick one winner per prize unit.
    Idempotent: drawing a drawn contest again answers 200 with the first result (the
    ``public_value`` sent the second time is ignored). Refused (409) before ``draw_at``,
    when the contest is not open, or when nobody has a ticket."""
    contest = _contest(request, contest_id)
    result = contests.draw(contest, payload.public_value, actor=actor_of(request))
    contest = Contest.objects.select_related("program").get(pk=result.contest.pk)
    body = s.DrawOut(
        created=result.created, contest=contest_out(contest), winners=_winners(contest)
    )
    return Status(201 if result.created else 200, body)


@router.get(f"{CONTEST}/winners", response=_responses(200, model=s.WinnerList))
def list_winners(request: HttpRequest, slug: str, contest_id: ContestId) -> Any:
    """Every pick of the draw chain, redrawn ones included (status ``unclaimed``)."""
    return s.WinnerList(items=_winners(_contest(request, contest_id)))


@router.post(f"{CONTEST}/winners/{{winner_id}}/redraw", response=_responses(201, model=s.WinnerOut))
def redraw(
    request: HttpRequest,
    slug: str,
    contest_id: ContestId,
    winner_id: WinnerId,
    payload: s.RedrawIn | None = None,
) -> Status[Any]:
    """The prize unit went unclaimed: it goes to the next pick of the same chain (anyone can
    check it with the published data). Answers the new winner."""
    winner = _winner(_contest(request, contest_id), winner_id)
    reason = payload.reason if payload else ""
    new = contests.redraw(winner, actor=actor_of(request), reason=reason)
    return Status(201, winner_out(_winner(winner.contest, new.pk)))


@router.post(
    f"{CONTEST}/winners/{{winner_id}}/delivered", response=_responses(200, model=s.WinnerOut)
)
def delivered(request: HttpRequest, slug: str, contest_id: ContestId, winner_id: WinnerId) -> Any:
    """The winner has their prize (a physical prize handed over, a reward used)."""
    contest = _contest(request, contest_id)
    winner = contests.mark_delivered(_winner(contest, winner_id), actor=actor_of(request))
    return winner_out(_winner(contest, winner.pk))
