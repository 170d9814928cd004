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
    referrer_code: str | None
    created_at: datetime


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
