"""Request and response bodies of the scenario and message endpoints (server_messages.py).

The Literal lists are the choices of ``models.choices`` (a test keeps them in step), spelled
out so the OpenAPI document names every value a client may send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ..validation_types import Language
from .schemas import Input

TriggerIn = Literal[
    "invitation_sent",
    "friend_claimed",
    "friend_registered",
    "friend_first_order",
    "order_placed",
    "became_customer",
    "referral_validated",
    "reward_issued",
    "badge_earned",
    "contest_drawn",
    "boost_started",
]
KindIn = Literal[
    "invitation",
    "friend_reminder",
    "welcome",
    "incitation",
    "reward",
    "review_request",
    "badge_awarded",
    "contest_won",
    "boost_announcement",
    "confirmation",
]
#: What a step may send: every kind but the address confirmation (sent by no step).
StepKindIn = Literal[
    "invitation",
    "friend_reminder",
    "welcome",
    "incitation",
    "reward",
    "review_request",
    "badge_awarded",
    "contest_won",
    "boost_announcement",
]
ChannelIn = Literal["email", "sms"]
RecipientIn = Literal["referrer", "friend", "contact"]
AudienceIn = Literal[
    "opted_in", "not_claimed", "not_converted", "no_reward_yet", "not_referrer", "is_customer"
]
DelayUnitIn = Literal["minutes", "hours", "days"]
StatusOut = Literal["pending", "sent", "dropped", "failed"]

MAX_DELAY = 10_000
NAME_LENGTH = 120
SUBJECT_LENGTH = 200
HTML_LENGTH = 200_000
TEXT_LENGTH = 20_000
FOOTER_LENGTH = 1_000
ADDRESS_LENGTH = 500
URL_LENGTH = 200

#: A time of day in the program's time zone, "21:00" (no seconds, no offset).
ClockTime = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description='Local time, e.g. "21:00".'),
]
Audiences = Annotated[
    list[AudienceIn],
    Field(
        max_length=12,
        description="Conditions the recipient must all meet, when the step is scheduled and "
        "again when it is due (a step whose goal was reached meanwhile is dropped).",
    ),
]


# Scenario steps


class StepIn(Input):
    name: Annotated[str, Field(max_length=NAME_LENGTH)] = Field(
        "", description="For the shop team; empty: trigger → message."
    )
    trigger: TriggerIn = Field(description="The event that starts the step's clock.")
    delay_amount: Annotated[int, Field(ge=0, le=MAX_DELAY, strict=True)] = 0
    delay_unit: DelayUnitIn = "days"
    channel: ChannelIn = "email"
    kind: StepKindIn = Field(
        description="The message sent (its template per channel and language)."
    )
    recipient: RecipientIn = Field(
        description="Who of the trigger's people it writes to: friend and referrer for the "
        "invitation and referral triggers, contact for the others."
    )
    audience: Audiences = Field(default_factory=list)
    is_active: bool = True
    position: Annotated[int, Field(ge=0, le=32_767, strict=True)] | None = Field(
        None, description="Breaks ties between steps of one trigger and delay; default 0."
    )


class StepPatch(Input):
    """Only the fields sent change; the recipient must stay one the trigger has."""

    name: Annotated[str, Field(max_length=NAME_LENGTH)] | None = None
    trigger: TriggerIn | None = None
    delay_amount: Annotated[int, Field(ge=0, le=MAX_DELAY, strict=True)] | None = None
    delay_unit: DelayUnitIn | None = None
    channel: ChannelIn | None = None
    kind: StepKindIn | None = None
    recipient: RecipientIn | None = None
    audience: Audiences | None = None
    is_active: bool | None = None
    position: Annotated[int, Field(ge=0, le=32_767, strict=True)] | None = None


class CountsOut(BaseModel):
    sent: int
    delayed: int = Field(description="Sent or waiting after at least one pressure delay.")
    dropped: int
    failed: int
    waiting: int


class StepOut(BaseModel):
    id: int
    position: int
    name: str
    label: str = Field(description="The name, or trigger → message when it has none.")
    trigger: str
    trigger_label: str
    delay_amount: int
    delay_unit: str
    channel: str
    kind: str
    kind_label: str
    recipient: str
    audience: list[str]
    is_active: bool
    transactional: bool = Field(
        description="Sent at once and never held by the pressure cap, quiet hours or gap."
    )
    counts: CountsOut
    created_at: datetime
    updated_at: datetime


class StepList(BaseModel):
    items: list[StepOut] = Field(description="By trigger, then delay.")


# Pressure settings


class SettingsOut(BaseModel):
    messages_per_week: int = Field(description="Solicitations per contact over any 7 days.")
    quiet_hours_start: ClockTime | None
    quiet_hours_end: ClockTime | None
    time_zone: str = Field(description="The program's time zone, for the quiet hours.")
    min_gap_hours: int
    legal_footer: dict[str, str]
    shop_address: str
    review_url: str


class SettingsPatch(Input):
    """Only the fields sent change. Quiet hours: both times, or both null for none."""

    messages_per_week: Annotated[int, Field(ge=0, le=100, strict=True)] | None = Field(
        None, description="0: no limit."
    )
    quiet_hours_start: ClockTime | None = None
    quiet_hours_end: ClockTime | None = None
    min_gap_hours: Annotated[int, Field(ge=0, le=720, strict=True)] | None = None
    legal_footer: dict[Language, Annotated[str, Field(max_length=FOOTER_LENGTH)]] | None = Field(
        None, description="Per language of the program, printed under every email."
    )
    shop_address: Annotated[str, Field(max_length=ADDRESS_LENGTH)] | None = None
    review_url: Annotated[str, Field(max_length=URL_LENGTH)] | None = Field(
        None, description="An http(s) address; empty for none."
    )


# Templates


class TemplateRow(BaseModel):
    kind: str
    kind_label: str
    channel: str
    channel_label: str
    language: str
    customised: bool = Field(description="False: the shipped default is used.")
    designed_with: str = Field(description='"wagtail" when Wagtail\'s block editor made it.')
    updated_at: datetime | None
    updated_by: str


class TemplateList(BaseModel):
    items: list[TemplateRow]


class VariableOut(BaseModel):
    name: str = Field(description="As written in a template: {{ name }}.")
    label: str
    help: str
    example: str


class TemplateOut(BaseModel):
    kind: str
    kind_label: str
    channel: str
    language: str
    subject: str = Field(description="Email only.")
    html: str = Field(description="Email only.")
    text: str = Field(description="The text part of an email, or the SMS.")
    customised: bool
    designed_with: str
    variables: list[VariableOut] = Field(description="The variables this kind offers.")


class TemplateIn(Input):
    subject: Annotated[str, Field(max_length=SUBJECT_LENGTH)] = ""
    html: Annotated[str, Field(max_length=HTML_LENGTH)] = ""
    text: Annotated[str, Field(max_length=TEXT_LENGTH)] = Field(
        "", description="An email's empty text part is made from the HTML."
    )


class DraftIn(Input):
    """A draft to preview or test; a part left out is the one in use now."""

    subject: Annotated[str, Field(max_length=SUBJECT_LENGTH)] | None = None
    html: Annotated[str, Field(max_length=HTML_LENGTH)] | None = None
    text: Annotated[str, Field(max_length=TEXT_LENGTH)] | None = None


class TestIn(DraftIn):
    to: Annotated[str, Field(min_length=1, max_length=254)] = Field(
        description="An email address, or a phone number for an SMS."
    )


class SegmentsOut(BaseModel):
    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    segments: int


class PreviewOut(BaseModel):
    subject: str
    html: str
    text: str
    sms: SegmentsOut | None = Field(description="SMS only: how many messages it costs.")


class TestOut(BaseModel):
    channel: str
    to: str = Field(description="Where it went (a number normalised to E.164).")


# A contact's messages


class MessageOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    channel: str
    status: StatusOut
    status_label: str
    reason: str = Field(description="Why it was dropped or failed (a rule or a condition).")
    reason_label: str
    delayed_by: str = Field(description="The rule that last moved it later.")
    delayed_by_label: str
    error: str
    step: int | None
    due_at: datetime
    sent_at: datetime | None
    created_at: datetime
    to: str
    subject_line: str


class MessagePage(BaseModel):
    contact_id: int
    items: list[MessageOut] = Field(description="Latest due first.")
    next_cursor: str | None
