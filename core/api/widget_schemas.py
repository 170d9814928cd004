"""Request and response bodies of the public widget API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..validation_types import Email, Language, Name

ANONYMOUS_MAX_FRIENDS = 5
IDENTIFIED_MAX_FRIENDS = 20
Code = Annotated[str, Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9]+$")]
Token = Annotated[str, Field(min_length=3, max_length=2048)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BoostOut(BaseModel):
    """A boosted offer running now: the widget counts down to ``ends_at``, then shows the
    normal offer again by itself."""

    label: str = Field(description='In the asked language, e.g. "Double reward until Sunday".')
    ends_at: datetime = Field(description="When the boost ends (end excluded).")
    referrer_reward: str = Field(description="The referrer reward during the boost.")
    welcome_offer: str = Field(description="The friends' welcome offer during the boost.")
    welcome_label: str = Field(
        "",
        description=(
            "What the friends read about the boost (the label speaks of the referrer's "
            "reward); empty when the boost leaves their welcome offer as it is, and the "
            "referee widget then shows no boost."
        ),
    )


class ConfigOut(BaseModel):
    program: str
    language: str
    currency: str
    referrer_reward: str = Field(description="The referrer reward in force (boosted or not).")
    welcome_offer: str = Field(description="The welcome offer in force (boosted or not).")
    boost: BoostOut | None = Field(None, description="The boost running now, if any.")
    normal_referrer_reward: str = Field(
        "", description="The referrer reward outside boosts: shown again at the boost's end."
    )
    normal_welcome_offer: str = Field(
        "", description="The welcome offer outside boosts: shown again at the boost's end."
    )
    channels: list[str]
    consent_text: str
    rules_url: str
    legal_url: str
    brand_colour: str
    privacy_mode: bool
    anonymous_invitations: bool = Field(
        description="Whether a visitor who is not signed in may invite friends by email."
    )
    time_zone: str = Field(
        "", description="The program's time zone (IANA): the widget writes times in it."
    )


class EnrolIn(Input):
    email: Email
    first_name: Name = ""
    language: Language | None = None


class EnrolOut(BaseModel):
    delivery: Literal["screen", "email"] = Field(
        description=(
            "screen: the link is in this answer (an address nobody knew). email: the link was "
            "mailed to the address (it belongs to someone already; always so in privacy mode)."
        )
    )
    code: str | None = None
    share_url: str | None = None


class MeIn(Input):
    identity: Token


class ReferrerStats(BaseModel):
    invited: int
    registered: int
    converted: int
    rewarded: int


class BadgeOut(BaseModel):
    id: int
    rank: int
    name: str
    description: str
    image_url: str = Field(description="Absolute URL of the 256 px thumbnail; empty if none.")
    colour: str


class EarnedBadgeOut(BadgeOut):
    awarded_at: datetime


class ConditionOut(BaseModel):
    kind: str
    label: str = Field(description='Human text in the asked language: "3 / 5 friends converted".')
    missing: str = Field(description='What is missing, e.g. "2 more friends converted"; or "".')
    value: float
    threshold: float
    period_days: int | None = Field(description="Rolling period; null counts everything ever.")
    met: bool


class BadgeProgressOut(BadgeOut):
    held: bool
    awarded_at: datetime | None
    match: Literal["all", "any"] = Field(description="Whether all conditions or any one counts.")
    percent: int = Field(ge=0, le=100, description="How far the conditions are, for a bar.")
    missing: str = Field(description="What is missing to earn the badge; empty when held.")
    conditions: list[ConditionOut]


class ContestOut(BaseModel):
    """A contest the signed-in customer takes part in (open, or drawn lately)."""

    id: str = Field(description="The contest's public id (its public page is ``url``).")
    name: str = Field(description="The contest's name in the asked language.")
    status: Literal["open", "drawn"]
    tickets: int = Field(description="The customer's tickets, capped.")
    cap: int = Field(description="Tickets per person at most; 0: no cap.")
    opt_in_required: bool
    opted_in: bool = Field(description="Always true when no opt-in is required.")
    entrant: str = Field(
        description="The customer's pseudonymous id in the published entries file, to find "
        "their own line and check their tickets after the draw (docs/fair-draw.md)."
    )
    entries_start: datetime
    entries_end: datetime
    draw_at: datetime
    url: str = Field(description="The public contest page: rules, commitment, winners.")


class PendingRewardOut(BaseModel):
    reward: str = Field(description="The reward a friend's order earned, in words.")
    validated_on: datetime | None = Field(
        description="When it is validated if the order is not returned; null while the shop "
        "reviews it."
    )


class MeOut(BaseModel):
    first_name: str
    code: str
    share_url: str
    referrer_reward: str = Field(description="What this customer's next invitations earn.")
    normal_referrer_reward: str = Field(
        "", description="What they earn again once the running boost (if any) has ended."
    )
    boost: BoostOut | None = Field(None, description="The boost running now, if any.")
    contests: list[ContestOut] = Field(
        default_factory=list, description="The contests they take part in, with their tickets."
    )
    stats: ReferrerStats
    badges: list[str] = Field(
        description="Names of the badges held, by rank (kept for older widgets: see earned)."
    )
    current_badge: BadgeOut | None = Field(description="The highest-ranked badge held.")
    earned: list[EarnedBadgeOut] = Field(description="The badges held, by rank.")
    next_badge: BadgeProgressOut | None = Field(
        description="The lowest-ranked active badge not held, with progress per condition."
    )
    points: int = Field(description="Loyalty points balance.")
    pending: list[PendingRewardOut] = Field(
        default_factory=list,
        description="Rewards earned by a friend's order and not validated yet, soonest first.",
    )


class LedgerLineOut(BaseModel):
    occurred_at: datetime
    label: str = Field(description="The action in the asked language (never a raw code).")
    points: int = Field(description="Signed: earned (+) or taken back (-).")


class LoyaltyOut(BaseModel):
    first_name: str
    points: int = Field(description="Loyalty points balance.")
    entries: list[LedgerLineOut] = Field(description="The ledger's last lines, newest first.")
    current_badge: BadgeOut | None
    badges: list[BadgeProgressOut] = Field(
        description="Every active badge of the program by rank, earned (held) or locked."
    )


class InviteIn(Input):
    code: Code | None = None
    email: Email | None = Field(None, description="The referrer's own email, with code.")
    identity: Token | None = None
    emails: Annotated[list[Email], Field(min_length=1, max_length=IDENTIFIED_MAX_FRIENDS)]
    message: Annotated[str, Field(max_length=500)] = ""


class InviteOut(BaseModel):
    received: int = Field(description="Addresses taken in; the answer never says which got mail.")
    delivery: Literal["sent", "held"] = Field(
        description=(
            "held: nothing leaves until the referrer confirms their own address through the "
            "link just emailed to them."
        )
    )


class CodeOut(BaseModel):
    code: str
    first_name: str = Field(
        description=(
            "The name the referrer gave for sharing (never one stored from orders or imports); "
            "may be empty."
        )
    )
    welcome_offer: str = Field(description="The welcome offer in force (boosted or not).")
    boost: BoostOut | None = Field(
        None, description="The boost running now when it changes the welcome offer, else null."
    )
    normal_welcome_offer: str = Field(
        "", description="The welcome offer outside boosts: shown again at the boost's end."
    )


class ClaimIn(Input):
    code: Code
    email: Email
    consent: StrictBool = Field(description="The friend's answer to the recontact question.")
    first_name: Name = ""
    link_click: str = Field(
        default="",
        max_length=200,
        description=(
            "The share link's click cookie (parrain_ref_at) as read on the page, if any: the "
            "friend is then invited at the click (a boosted offer running then applies)."
        ),
    )


class WelcomeOut(BaseModel):
    code: str
    offer: str
    expires_at: datetime | None


class ClaimOut(BaseModel):
    delivery: Literal["screen", "email"]
    welcome: WelcomeOut | None = None
