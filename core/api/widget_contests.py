"""``/api/v1/public/{key}/contests/{public_id}``: a contest as its public page shows it.

Anyone may read an opened contest: its rules, period, prizes, the commitment, and once
drawn the seed, the public value, the entries hash and file, and the winners as first
name + initial only. A draft is a 404, like an unknown id.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router

from ..exceptions import NotFound
from ..services import contest_public
from ..validation_types import Language
from .contest_schemas import PublicContestOut, PublicPrizeOut, PublicWinnerOut
from .problems import Problem
from .widget import program_of, widget_language

router = Router(tags=["contests"])
PublicId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]
ERRORS: dict[int, type[Problem]] = {c: Problem for c in (400, 401, 403, 404, 422, 429)}


def public_contest_out(view: contest_public.PublicContest) -> PublicContestOut:
    contest, drawn = view.contest, view.drawn
    return PublicContestOut(
        public_id=contest.public_id,
        language=view.language,
        name=view.name,
        status=contest.status,  # type: ignore[arg-type]
        page_url=view.page_url,
        rules_text=view.rules_text,
        rules_url=contest.rules_url,
        entries_start=contest.entries_start,
        entries_end=contest.entries_end,
        draw_at=contest.draw_at,
        participants=view.participants,
        ticket_source=view.ticket_source,
        ticket_cap=contest.ticket_cap,
        opt_in_required=contest.opt_in_required,
        prizes=[PublicPrizeOut(label=label, quantity=qty) for label, qty in view.prizes],
        public_value_source=contest.public_value_source,
        commitment=contest.commitment,
        algorithm=contest.algorithm or "parrain-draw-v1",
        server_seed=contest.server_seed if drawn else None,
        public_value=contest.public_value if drawn else None,
        entries_hash=contest.entries_hash or None,  # published once the entries are frozen
        entries_count=contest.entries_count if contest.entries_frozen_at else None,
        tickets_total=contest.tickets_total if contest.entries_frozen_at else None,
        entries_frozen_at=contest.entries_frozen_at,
        entries_url=view.entries_url,
        drawn_at=contest.drawn_at,
        winners=[PublicWinnerOut(**w.__dict__) for w in view.winners],
        verify_command=view.verify_command,
    )


@router.get("/{key}/contests/{public_id}", response={200: PublicContestOut, **ERRORS})
def public_contest(
    request: HttpRequest, key: str, public_id: PublicId, lang: Language | None = None
) -> Any:
    """A contest's public face, in the page's language (one of the program's)."""
    program = program_of(request)
    contest = contest_public.find_public(public_id, program.pk)
    if contest is None:
        raise NotFound(_("There is no such contest."), field="public_id")
    return public_contest_out(contest_public.public_view(contest, widget_language(program, lang)))
