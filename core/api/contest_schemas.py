"""Request and response bodies for contests: the server API and the public contest page."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..models.choices import RewardKind
from ..models.contest import Participants, TicketSource
from ..services import contest_setup as setup
from ..validation_types import Language, Moment
from .schemas import Input

ContestTexts = Annotated[
    dict[Language, Annotated[str, Field(max_length=setup.RULES_LENGTH)]],
    Field(description='One text per language of the program, e.g. {"fr": "…", "en": "…"}.'),
]
Names = Annotated[
    dict[Language, Annotated[str, Field(max_length=setup.NAME_LENGTH)]],
    Field(description="The public name per language of the program."),
]
ParticipantsIn = Literal["referrers", "referees", "both"]
TicketSourceIn = Literal[
    "invitation_sent", "friend_converted", "referral_validated", "loyalty_action", "badge_held"
]
RewardKindIn = Literal[
    "fixed_amount", "percentage", "free_shipping", "free_product", "loyalty_points", "manual"
]
PUBLIC_VALUE_HELP = (
    "Where the public value typed at the draw comes from, named in the rules and fixed "
    "before opening, e.g. 'drand round 5000000' or 'EuroMillions draw of 24 December'. "
    "Required to open."
)


class PrizeRewardIn(Input):
    kind: RewardKindIn
    value: Annotated[Decimal, Field(ge=0, le=setup.MAX_VALUE, decimal_places=2)] = Decimal(0)
    product_ref: Annotated[str, Field(max_length=120)] = ""


class PrizeIn(Input):
    label: Annotated[str, Field(min_length=1, max_length=setup.LABEL_LENGTH)]
    quantity: Annotated[int, Field(ge=1, le=setup.MAX_UNITS)] = 1
    reward: PrizeRewardIn | None = Field(
        None,
        description="Issued to each winner through the reward backends, exactly once. "
        "Leave out for a physical prize handled by hand.",
    )


class ContestIn(Input):
    name: Annotated[str, Field(min_length=1, max_length=setup.NAME_LENGTH)]
    names: Names = Field(default_factory=dict)
    rules_texts: ContestTexts = Field(default_factory=dict)
    rules_url: Annotated[str, Field(max_length=setup.URL_LENGTH)] = ""
    entries_start: Moment
    entries_end: Moment
    draw_at: Moment = Field(description="At or after entries_end; the draw cannot run earlier.")
    participants: ParticipantsIn = "referrers"
    ticket_source: TicketSourceIn = "friend_converted"
    loyalty_kind: Annotated[str, Field(max_length=setup.LOYALTY_KIND_LENGTH)] = Field(
        "", description="loyalty_action only: the action's kind or the custom action's name."
    )
    badge: int | None = Field(None, description="badge_held only: a badge of the program.")
    badge_tickets: Annotated[int, Field(ge=1, le=setup.MAX_TICKETS)] = 1
    ticket_cap: Annotated[int, Field(ge=0, le=setup.MAX_TICKETS)] = Field(
        0, description="Tickets per person at most; 0: no cap."
    )
    opt_in_required: bool = False
    public_value_source: Annotated[str, Field(max_length=setup.SOURCE_LENGTH)] = Field(
        "", description=PUBLIC_VALUE_HELP
    )
    prizes: list[PrizeIn] = Field(default_factory=list, max_length=setup.MAX_PRIZES)


class ContestPatch(Input):
    """Only the fields sent change; ``prizes``, when sent, replaces them all. Once open,
    only the texts, the rules URL and a later ``draw_at`` may change."""

    name: Annotated[str, Field(min_length=1, max_length=setup.NAME_LENGTH)] | None = None
    names: Names | None = None
    rules_texts: ContestTexts | None = None
    rules_url: Annotated[str, Field(max_length=setup.URL_LENGTH)] | None = None
    entries_start: Moment | None = None
    entries_end: Moment | None = None
    draw_at: Moment | None = None
    participants: ParticipantsIn | None = None
    ticket_source: TicketSourceIn | None = None
    loyalty_kind: Annotated[str, Field(max_length=setup.LOYALTY_KIND_LENGTH)] | None = None
    badge: int | None = None
    badge_tickets: Annotated[int, Field(ge=1, le=setup.MAX_TICKETS)] | None = None
    ticket_cap: Annotated[int, Field(ge=0, le=setup.MAX_TICKETS)] | None = None
    opt_in_required: bool | None = None
    public_value_source: Annotated[str, Field(max_length=setup.SOURCE_LENGTH)] | None = None
    prizes: list[PrizeIn] | None = Field(None, max_length=setup.MAX_PRIZES)


class PrizeRewardOut(BaseModel):
    kind: RewardKind
    value: Decimal
    product_ref: str


class PrizeOut(BaseModel):
    id: int
    position: int
    label: str
    quantity: int
    reward: PrizeRewardOut | None = Field(description="None: a physical prize.")


class ContestOut(BaseModel):
    id: int
    public_id: str
    public_url: str = Field(description="The public contest page.")
    name: str
    names: dict[str, str]
    rules_texts: dict[str, str]
    rules_url: str
    status: Literal["draft", "open", "drawn", "cancelled"]
    entries_start: datetime
    entries_end: datetime
    draw_at: datetime
    participants: Participants
    ticket_source: TicketSource
    loyalty_kind: str
    badge: int | None
    badge_tickets: int
    ticket_cap: int
    opt_in_required: bool
    public_value_source: str
    prizes: list[PrizeOut]
    commitment: str = Field(description="SHA-256 of the secret seed, published at opening.")
    opened_at: datetime | None
    server_seed: str | None = Field(description="Published once drawn; null before.")
    public_value: str
    entries_hash: str = Field(description="Published once the entries are frozen; empty before.")
    entries_count: int
    tickets_total: int
    entries_frozen_at: datetime | None = Field(
        description="When the entries were frozen: at the end of the entry period (the periodic "
        "task freeze_contest_entries), or at the draw if the task had not run."
    )
    drawn_at: datetime | None
    algorithm: str
    created_at: datetime


class ContestList(BaseModel):
    items: list[ContestOut]


class DrawIn(Input):
    public_value: Annotated[str, Field(min_length=1, max_length=255)] = Field(
        description="The value from the source named in the rules (public_value_source)."
    )


class RedrawIn(Input):
    reason: Annotated[str, Field(max_length=255)] = ""


class WinnerOut(BaseModel):
    id: int
    prize: int
    prize_label: str
    unit: int = Field(description="0-based unit of the prize's quantity.")
    pick: int = Field(description="Index in the draw chain (redraws continue it).")
    entrant: str = Field(description="Pseudonymous id in the entries file.")
    contact_id: int | None
    email: str | None = Field(description="Null when the contact was erased.")
    public_name: str = Field(description="What the public page shows: first name + initial.")
    status: Literal["drawn", "notified", "claimed", "unclaimed"]
    drawn_at: datetime
    notified_at: datetime | None
    delivered_at: datetime | None


class WinnerList(BaseModel):
    items: list[WinnerOut]


class DrawOut(BaseModel):
    created: bool = Field(description="False: the contest was already drawn; the first result.")
    contest: ContestOut
    winners: list[WinnerOut]


# Public contest page (public API)


class PublicPrizeOut(BaseModel):
    label: str
    quantity: int


class PublicWinnerOut(BaseModel):
    prize: str
    unit: int
    pick: int
    name: str = Field(description="First name and initial only, or the entrant id.")
    entrant: str
    redrawn: bool = Field(description="The prize went unclaimed and was drawn again.")


class PublicContestOut(BaseModel):
    public_id: str
    language: str
    name: str
    status: Literal["open", "drawn", "cancelled"]
    page_url: str
    rules_text: str
    rules_url: str
    entries_start: datetime
    entries_end: datetime
    draw_at: datetime
    participants: str = Field(description="Who takes part, in words.")
    ticket_source: str = Field(description="What earns tickets, in words.")
    ticket_cap: int
    opt_in_required: bool
    prizes: list[PublicPrizeOut]
    public_value_source: str
    commitment: str
    algorithm: str
    server_seed: str | None = None
    public_value: str | None = None
    entries_hash: str | None = None
    entries_count: int | None = None
    tickets_total: int | None = None
    entries_frozen_at: datetime | None = None
    entries_url: str | None = None
    drawn_at: datetime | None = None
    winners: list[PublicWinnerOut] = Field(default_factory=list)
    verify_command: str | None = None
