"""Request and response bodies of the server API; service input models are reused as is."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from ..models.choices import ReferralStatus
from ..services.loyalty import MAX_POINTS, RESERVED_PREFIXES
from ..validation_types import Email, ExternalId, Language, Moment, Name

Code = Annotated[str, Field(min_length=1, max_length=32)]
MAX_INVITATIONS_PER_REQUEST = 50
MAX_LOYALTY_BATCH = 1000


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConsentOut(BaseModel):
    channel: Literal["email", "sms"]
    given: bool = Field(description="True: consent given; false: refused or withdrawn.")
    at: datetime = Field(description="When the person gave or withdrew it.")
    source: str = Field(
        description="Where: widget, import, api, webhook, oscar, account, admin, "
        "unsubscribe (the link in an email) or sms_stop (a STOP reply)."
    )
    source_label: str
    text: str = Field(description="The consent text the person saw, as shown (may be empty).")
    text_version: str = Field(description="A short id of the text: same text, same id.")
    recorded_at: datetime


class ConsentsOut(BaseModel):
    contact_id: int
    items: list[ConsentOut] = Field(description="Latest first.")


Rows = list[dict[str, Any]]


class ErasureKept(BaseModel):
    """What stays, linked to the anonymous record: past figures and other people's
    rewards do not change."""

    invitations: int
    referrals: int
    orders: int
    rewards: int


class ErasureOut(BaseModel):
    contact_id: int = Field(description="The id of the anonymous record left in its place.")
    erased_at: datetime
    kept: ErasureKept


class ContactExportOut(BaseModel):
    """A contact's data (right of access). Dates are ISO 8601, amounts decimal strings.
    Other people appear only as far as the contact knows them: a friend's email in an
    invitation the contact sent by email, a referrer's code and the name they share."""

    format: int = Field(description="Layout version (1).")
    program: str
    contact: dict[str, Any]
    consents: Rows = Field(description="Consent records, latest first.")
    invitations_sent: Rows
    invitations_received: Rows
    referrals_as_referrer: Rows
    referrals_as_referee: Rows
    orders: Rows = Field(description="Each with its refunds.")
    rewards: Rows
    badges: Rows
    loyalty_ledger: Rows
    messages: Rows = Field(description="Scheduled, sent, dropped or failed.")
    audit: Rows = Field(description="Audit entries about the contact; staff shown as 'staff'.")


class ContactOut(BaseModel):
    id: int
    email: str
    external_id: str | None
    first_name: str
    last_name: str
    phone: str
    language: str
    is_customer: bool
    first_order_at: datetime | None
    consent_recontact: bool | None
    sms_consent: bool | None
    sms_unsubscribed_at: datetime | None = Field(
        description="When the number replied STOP: no SMS is sent to it since."
    )
    referrer_code: str | None
    created_at: datetime
    consents: dict[str, ConsentOut] = Field(
        default_factory=dict,
        description="The latest consent record per channel (email, sms), when there is one.",
    )


class BulkContactsIn(Input):
    rows: list[Any] = Field(
        description="Contact objects (same fields as PUT /contacts); each is checked alone."
    )


class BulkRowResult(BaseModel):
    index: int
    status: Literal["created", "updated", "error"]
    id: int | None = None
    errors: list[dict[str, str]] | None = None


class BulkContactsOut(BaseModel):
    created: int
    updated: int
    failed: int
    import_id: int | None = Field(
        None, description="The contact import that recorded this request (its counts, audit)."
    )
    results: list[BulkRowResult]


class EnrolIn(Input):
    email: Email
    first_name: Name = ""
    language: Language | None = None


class EnrolOut(BaseModel):
    contact_id: int
    email: str
    code: str
    share_url: str
    created: bool


class InviteIn(Input):
    referrer_email: Email | None = None
    referrer_code: Code | None = None
    emails: Annotated[list[Email], Field(min_length=1, max_length=MAX_INVITATIONS_PER_REQUEST)]
    message: Annotated[str, Field(max_length=1000)] = ""

    @model_validator(mode="after")
    def _one_referrer(self) -> InviteIn:
        if bool(self.referrer_email) == bool(self.referrer_code):
            raise ValueError("give either referrer_email or referrer_code")
        return self


class InvitationResult(BaseModel):
    email: str
    invited: bool
    reason: str = ""
    invitation_id: int | None = None


class InviteOut(BaseModel):
    referrer_code: str
    results: list[InvitationResult]


class RegisterIn(Input):
    code: Code
    email: Email
    consent: StrictBool | None = None
    first_name: Name = ""
    link_click: str = Field(
        default="",
        max_length=200,
        description=(
            "The friend's share-link click cookie (parrain_ref_at), forwarded as is: the "
            "friend is then invited at the click (a boosted offer running then applies)."
        ),
    )


class ReferralRef(BaseModel):
    id: int
    status: ReferralStatus


class WelcomeOut(BaseModel):
    code: str | None
    kind: str
    value: Decimal
    currency: str
    expires_at: datetime | None


class RegisterOut(BaseModel):
    referral: ReferralRef
    welcome: WelcomeOut | None
    created: bool


class OrderOut(BaseModel):
    id: int
    external_id: str
    amount: Decimal
    currency: str
    placed_at: datetime
    refunded_amount: Decimal
    attribution: ReferralRef | None
    #: Accepted with ``Prefer: respond-async`` and not attributed yet (``attribution`` is
    #: null until a worker has attributed it; poll ``GET …/orders/{external_id}``).
    pending: bool = False


class RefundOut(BaseModel):
    id: int
    external_id: str
    order_external_id: str
    amount: Decimal
    refunded_at: datetime
    attribution: ReferralRef | None


class PersonRef(BaseModel):
    id: int
    email: str


class ReferrerRef(PersonRef):
    code: str | None


class ReferralOut(BaseModel):
    id: int
    status: ReferralStatus
    referrer: ReferrerRef
    referee: PersonRef
    order_external_id: str | None
    review_reason: str
    cancel_reason: str
    invited_at: datetime
    registered_at: datetime | None
    converted_at: datetime | None
    validated_at: datetime | None
    rewarded_at: datetime | None
    cancelled_at: datetime | None


class ReferralPage(BaseModel):
    items: list[ReferralOut]
    next_cursor: str | None


class RejectIn(Input):
    reason: Annotated[str, Field(min_length=1, max_length=60)] = "rejected_in_review"


class StatsRange(Input):
    start: date
    end: date


# Loyalty ledger

ApiLoyaltyKind = Literal[
    "purchase",
    "review",
    "birthday",
    "social_follow",
    "newsletter_signup",
    "custom",
    "adjustment",
]


class LoyaltyActionIn(Input):
    email: Email | None = Field(None, description="The contact, by email…")
    contact_external_id: ExternalId | None = Field(None, description="…or by the shop's id.")
    kind: ApiLoyaltyKind = Field(
        description="Reversals and rewards are recorded by Parrain itself (refunds, rewards)."
    )
    custom_kind: Annotated[str, Field(max_length=60)] = Field(
        "", description="The shop's name for a custom action (required when kind is custom)."
    )
    points: Annotated[StrictInt, Field(ge=-MAX_POINTS, le=MAX_POINTS)] = Field(
        description="Signed; a negative amount may not take the balance below zero."
    )
    occurred_at: Moment | None = None
    external_id: ExternalId | None = Field(
        None, description="Unique per program: a replay is ignored and answers the same."
    )
    order_external_id: ExternalId | None = None
    reason: Annotated[str, Field(max_length=255)] = Field(
        "", description="Required for an adjustment."
    )

    @field_validator("external_id")
    @classmethod
    def _not_reserved(cls, value: str | None) -> str | None:
        # Parrain's own lines (an order's points, a refund's reversal, a reward) use these
        # ids: a shop posting one would take over that line and block the real one.
        if value and value.lower().startswith(RESERVED_PREFIXES):
            raise ValueError(f"ids starting with {', '.join(RESERVED_PREFIXES)} are Parrain's own")
        return value

    @model_validator(mode="after")
    def _one_contact(self) -> LoyaltyActionIn:
        if bool(self.email) == bool(self.contact_external_id):
            raise ValueError("give either email or contact_external_id")
        return self


class LoyaltyEntryOut(BaseModel):
    id: int
    kind: str
    custom_kind: str
    points: int
    occurred_at: datetime
    recorded_at: datetime
    source: str
    external_id: str | None
    order_external_id: str | None
    reversal_of: int | None
    reason: str


class LoyaltyActionOut(LoyaltyEntryOut):
    contact_id: int
    balance: int


class LoyaltyBatchIn(Input):
    rows: list[Any] = Field(
        description=f"Up to {MAX_LOYALTY_BATCH} actions (same fields as POST /loyalty/actions); "
        "each is checked and stored on its own."
    )


class LoyaltyRowResult(BaseModel):
    index: int
    status: Literal["created", "replayed", "error"]
    id: int | None = None
    errors: list[dict[str, str]] | None = None


class LoyaltyBatchOut(BaseModel):
    created: int
    replayed: int
    failed: int
    results: list[LoyaltyRowResult]


class LoyaltyLedgerOut(BaseModel):
    contact_id: int
    balance: int
    items: list[LoyaltyEntryOut]
    next_cursor: str | None


# Badges

ApiConditionKind = Literal[
    "invitations_sent",
    "friends_registered",
    "friends_converted",
    "referrals_validated",
    "referred_revenue",
    "points_balance",
    "points_earned",
    "action_count",
    "holds_badge",
]
ApiCountedAction = Literal[
    "purchase", "review", "birthday", "social_follow", "newsletter_signup", "custom"
]
Texts = Annotated[
    dict[Language, Annotated[str, Field(max_length=500)]],
    Field(description='One text per language of the program, e.g. {"fr": "Or", "en": "Gold"}.'),
]
Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#c08a2d"])]


class BadgeConditionIn(Input):
    kind: ApiConditionKind = Field(description="What is counted (see docs/gamification.md).")
    threshold: Decimal | None = Field(
        None,
        gt=0,
        description="The value to reach (above zero; whole except referred_revenue). "
        "May be left out for holds_badge.",
    )
    period_days: Annotated[int, Field(ge=1, le=3660)] | None = Field(
        None, description="Count only the last N days; empty counts everything ever."
    )
    action_kind: ApiCountedAction | Literal[""] = Field(
        "", description="The loyalty action counted (action_count only)."
    )
    custom_kind: Annotated[str, Field(max_length=60)] = Field(
        "", description="The shop's name of the action, when action_kind is custom."
    )
    required_badge: int | None = Field(
        None, description="Id of the badge to hold first (holds_badge only), same program."
    )


class BadgeIn(Input):
    names: Texts = Field(description="Name per language; the default language is required.")
    descriptions: Texts = Field(default_factory=dict)
    rank: Annotated[int, Field(ge=0, le=10_000)] | None = Field(
        None, description="Lower ranks come first; default: after the last badge."
    )
    colour: Colour = "#c08a2d"
    match: Literal["all", "any"] = Field("all", description="Combine the conditions.")
    keep_once_earned: bool = Field(
        True, description="False: the badge is lost when a rolling condition no longer holds."
    )
    reward_rule: int | None = Field(
        None, description="Id of a referrer reward rule of the program used while held."
    )
    is_active: bool = True
    conditions: list[BadgeConditionIn] = Field(default_factory=list, max_length=20)


class BadgePatch(Input):
    """Only the fields sent change; ``conditions``, when sent, replaces them all."""

    names: Texts | None = None
    descriptions: Texts | None = None
    rank: Annotated[int, Field(ge=0, le=10_000)] | None = None
    colour: Colour | None = None
    match: Literal["all", "any"] | None = None
    keep_once_earned: bool | None = None
    reward_rule: int | None = None
    is_active: bool | None = None
    conditions: list[BadgeConditionIn] | None = Field(None, max_length=20)


class BadgeConditionOut(BaseModel):
    id: int
    kind: str
    threshold: Decimal
    period_days: int | None
    action_kind: str
    custom_kind: str
    required_badge: int | None


class RecomputeOut(BaseModel):
    """The latest background re-evaluation of the program's contacts."""

    state: Literal["queued", "running", "done", "failed"]
    reason: str
    done: int
    total: int
    percent: int
    awarded: int
    lost: int
    created_at: datetime
    finished_at: datetime | None


class BadgeOut(BaseModel):
    id: int
    rank: int
    name: str = Field(description="In the program's default language.")
    names: dict[str, str]
    descriptions: dict[str, str]
    image_url: str = Field(description="The 256 px PNG thumbnail; empty without an image.")
    colour: str
    match: str
    keep_once_earned: bool
    reward_rule: int | None
    is_active: bool
    holders: int = Field(description="Contacts holding the badge now.")
    conditions: list[BadgeConditionOut]
    recompute: RecomputeOut | None = Field(
        None, description="The program's latest re-evaluation, e.g. after a change."
    )
    created_at: datetime
    updated_at: datetime


class BadgeList(BaseModel):
    items: list[BadgeOut]


class BadgeHolderOut(BaseModel):
    contact_id: int
    email: str
    awarded_at: datetime
    lost_at: datetime | None
    awarded_by: str
    lost_by: str
    reason: str


class BadgeHolderPage(BaseModel):
    items: list[BadgeHolderOut]
    next_cursor: str | None


class BadgeRef(BaseModel):
    id: int
    rank: int
    name: str
    image_url: str
    colour: str


class EarnedBadgeOut(BadgeRef):
    awarded_at: datetime


class ConditionProgressOut(BaseModel):
    kind: str
    value: Decimal
    threshold: Decimal
    period_days: int | None
    met: bool
    label: str = Field(description='Human text, e.g. "3 / 5 friends converted".')
    missing: str = Field(description='Human text, e.g. "2 more friends converted".')


class NextBadgeOut(BadgeRef):
    match: str
    missing: str
    conditions: list[ConditionProgressOut]


class ContactBadgesOut(BaseModel):
    contact_id: int
    current: BadgeRef | None = Field(description="The highest-ranked badge held.")
    earned: list[EarnedBadgeOut]
    next: NextBadgeOut | None = Field(description="The lowest-ranked badge not held yet.")
    balance: int = Field(description="Loyalty points balance.")


class BadgeDecisionIn(Input):
    reason: Annotated[str, Field(min_length=1, max_length=255)] = Field(
        description="Why the badge is given or taken back by hand (kept in the audit log)."
    )


class BadgeDecisionOut(BaseModel):
    badge_id: int
    contact_id: int
    held: bool
    changed: bool = Field(description="False when the contact already held (or lacked) it.")
    awarded_at: datetime | None
    lost_at: datetime | None
