"""``/api/v1/programs/{slug}/boosts…``: boosted offers for the shop's server (secret key).

A thin adapter over ``core.services.boosts``: the service checks everything again, refuses
with a field-named problem (overlap naming the other boost, end before start, a reward
change once started) and stores nothing on refusal.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Status
from pydantic import BaseModel, Field

from ..exceptions import InvalidInput, NotFound
from ..models import Boost, RewardRule
from ..services import boosts
from ..validation_types import Language, Moment, Money
from .problems import Problem
from .schemas import Input
from .security import SecretKey, actor_of, program_of

router = Router(auth=SecretKey(), tags=["boosts"])
BOOSTS = "/programs/{slug}/boosts"
BoostId = Annotated[int, Path(ge=1, lt=2**63)]
ERRORS: dict[int, type[Problem]] = {code: Problem for code in (400, 401, 404, 409, 413, 422, 429)}
#: ``RewardKind`` values (a test keeps them in step).
Kind = Literal[
    "fixed_amount", "percentage", "free_shipping", "free_product", "loyalty_points", "manual"
]
Labels = Annotated[
    dict[
        Language,
        Annotated[str, Field(max_length=boosts.LABEL_LENGTH)],
    ],
    Field(description='What customers read, per language: {"en": "Double reward until Sunday"}.'),
]


def _responses(*success: int, model: Any) -> dict[int, Any]:
    return {**{status: model for status in success}, **ERRORS}


class RewardIn(Input):
    kind: Kind
    value: Money = Field(description="Amount in the program currency, percentage or points.")
    product_ref: Annotated[str, Field(max_length=120)] = Field(
        "", description="The free product's reference (free_product only)."
    )
    minimum_order_amount: Money = Decimal("0")
    validity_days: Annotated[int, Field(ge=1, le=boosts.MAX_VALIDITY_DAYS, strict=True)] = 90


class BoostIn(Input):
    name: Annotated[str, Field(min_length=1, max_length=boosts.NAME_LENGTH)] = Field(
        description="For the shop team only."
    )
    labels: Labels = Field(default_factory=dict)
    starts_at: Moment = Field(description="Included; not in the past.")
    ends_at: Moment = Field(description="Excluded: invitations issued before it are boosted.")
    referrer_reward: RewardIn = Field(description="The referrer reward during the boost.")
    welcome_offer: RewardIn | None = Field(
        None, description="The friend's welcome offer during the boost; null: the normal one."
    )
    contest: Annotated[int, Field(ge=1, lt=2**63, strict=True)] | None = None


class BoostPatch(Input):
    """Only the fields sent change. Once started, only ``ends_at`` and ``labels`` may."""

    name: Annotated[str, Field(min_length=1, max_length=boosts.NAME_LENGTH)] | None = None
    labels: Labels | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    referrer_reward: RewardIn | None = None
    welcome_offer: RewardIn | None = None
    contest: Annotated[int, Field(ge=1, lt=2**63, strict=True)] | None = None


class RewardOut(BaseModel):
    kind: str
    value: Decimal
    product_ref: str
    minimum_order_amount: Decimal
    validity_days: int


class BoostOut(BaseModel):
    id: int
    name: str
    labels: dict[str, str]
    status: Literal["scheduled", "running", "ended"]
    starts_at: datetime
    ends_at: datetime
    referrer_reward: RewardOut
    welcome_offer: RewardOut | None
    contest: int | None
    started_announced_at: datetime | None
    ended_announced_at: datetime | None
    created_at: datetime


class BoostList(BaseModel):
    items: list[BoostOut]


class Figures(BaseModel):
    invitations: int
    invited_referees: int
    conversions: int
    conversion_rate: Decimal | None = Field(description="conversions / invited referees")
    referred_revenue: Decimal
    currency: str


class Window(BaseModel):
    start: datetime
    end: datetime


class ComparisonOut(BaseModel):
    boost: Figures = Field(description="In the boost window (up to now while it runs).")
    before: Figures = Field(description="In as long a stretch just before the start.")
    window: Window
    before_window: Window


def _reward_out(rule: RewardRule | None) -> RewardOut | None:
    spec = boosts.reward_spec(rule)
    return RewardOut(**spec) if spec else None


def _out(boost: Boost) -> BoostOut:
    return BoostOut(
        id=boost.pk,
        name=boost.name,
        labels=boost.labels,
        status=boosts.status(boost),
        starts_at=boost.starts_at,
        ends_at=boost.ends_at,
        referrer_reward=_reward_out(boost.referrer_rule),  # type: ignore[arg-type]
        welcome_offer=_reward_out(boost.referee_rule),
        contest=boost.contest_id,
        started_announced_at=boost.started_announced_at,
        ended_announced_at=boost.ended_announced_at,
        created_at=boost.created_at,
    )


def _boost(request: HttpRequest, boost_id: int) -> Boost:
    found = (
        Boost.objects.select_related("program", "referrer_rule", "referee_rule")
        .filter(program=program_of(request), pk=boost_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No such boost in this program."), field="boost_id")
    return found


@router.get(BOOSTS, response=_responses(200, model=BoostList))
def list_boosts(request: HttpRequest, slug: str) -> Any:
    """Every boost of the program, the latest start first."""
    found = Boost.objects.filter(program=program_of(request)).select_related(
        "referrer_rule", "referee_rule"
    )
    return BoostList(items=[_out(b) for b in found.order_by("-starts_at", "-pk")])


@router.post(BOOSTS, response=_responses(201, model=BoostOut))
def create_boost(request: HttpRequest, slug: str, payload: BoostIn) -> Status[Any]:
    """Plan a boosted offer; refused (422, naming the field) when it ends before it starts,
    starts in the past, or overlaps another boost of the program (named in the message)."""
    boost = boosts.create_boost(
        program_of(request), actor=actor_of(request), **payload.model_dump()
    )
    return Status(201, _out(boost))


@router.get(f"{BOOSTS}/{{boost_id}}", response=_responses(200, model=BoostOut))
def get_boost(request: HttpRequest, slug: str, boost_id: BoostId) -> Any:
    return _out(_boost(request, boost_id))


@router.patch(f"{BOOSTS}/{{boost_id}}", response=_responses(200, model=BoostOut))
def patch_boost(request: HttpRequest, slug: str, boost_id: BoostId, payload: BoostPatch) -> Any:
    """Change the fields sent. A started boost only moves its end (not into the past) and
    changes its labels: invitations already carry its reward."""
    changes = payload.model_dump(exclude_unset=True)
    for field in ("name", "labels", "starts_at", "ends_at", "referrer_reward"):
        if field in changes and changes[field] is None:
            raise InvalidInput(_("This field cannot be null."), field=field)
    boost = boosts.update_boost(_boost(request, boost_id), actor=actor_of(request), **changes)
    return _out(_boost(request, boost.pk))


@router.delete(f"{BOOSTS}/{{boost_id}}", response=_responses(204, model=None))
def delete_boost(request: HttpRequest, slug: str, boost_id: BoostId) -> Status[None]:
    """Delete a boost that has not started (a started one: shorten its end instead)."""
    boosts.delete_boost(_boost(request, boost_id), actor=actor_of(request))
    return Status(204, None)


@router.get(f"{BOOSTS}/{{boost_id}}/comparison", response=_responses(200, model=ComparisonOut))
def boost_comparison(request: HttpRequest, slug: str, boost_id: BoostId) -> Any:
    """The boost window against as long a stretch before it, as on the dashboard."""
    result = boosts.comparison(_boost(request, boost_id))
    return ComparisonOut(
        boost=Figures(**result["boost"]),
        before=Figures(**result["before"]),
        window=Window(start=result["window"][0], end=result["window"][1]),
        before_window=Window(start=result["before_window"][0], end=result["before_window"][1]),
    )
