"""Bodies of the management API (``/api/v1/manage/…``).

Each field is bounded here as the schema says (formats, lengths, ranges); the rules across
fields (the default language among the languages, texts keyed by them, known origins…)
are the model's own (``Program.clean``), applied by the services through ``full_clean``:
both answer a 422 naming the field.
"""

from __future__ import annotations

import re
from copy import copy
from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    create_model,
)

from ..validation_types import Currency, EmailOrEmpty, Language, Money

FraudAction = Literal["off", "review", "block"]
ShareChannel = Literal[
    "email", "whatsapp", "sms", "facebook", "messenger", "x", "linkedin", "link", "qr"
]
Side = Literal["referrer", "referee", "prize"]
RewardKind = Literal[
    "fixed_amount", "percentage", "free_shipping", "free_product", "loyalty_points", "manual"
]

SLUG_PATTERN = r"^[-a-zA-Z0-9_]{1,60}$"
HOUR_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
URL_PATTERN = r"^(https?://[^\s/?#]+[^\s]*)?$"
POINTS_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,2})?$"
_POINTS = re.compile(POINTS_PATTERN)

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, description="Letters, digits, - and _.")]
Title = Annotated[str, Field(min_length=1, max_length=120, pattern=r"\S")]
WebAddress = Annotated[
    str, Field(max_length=200, pattern=URL_PATTERN, description="http(s) address, or empty.")
]
Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
Days = Annotated[StrictInt, Field(ge=0, le=3650)]


def _hour(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(HOUR_PATTERN, value):
        return time.fromisoformat(value)
    if value is None or isinstance(value, time):
        return value
    raise ValueError(_("Give a time as HH:MM, e.g. 21:00."))


Hour = Annotated[
    time,
    BeforeValidator(_hour),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": HOUR_PATTERN}),
]


def _points(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, str) and not _POINTS.fullmatch(value)):
        raise ValueError(_("Give a number such as 1.5 (at most two decimals)."))
    return value


Points = Annotated[
    Decimal,
    BeforeValidator(_points),
    Field(ge=0, le=Decimal("999999.99"), max_digits=8, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 999999.99, "multipleOf": 0.01},
                {"type": "string", "pattern": POINTS_PATTERN},
            ]
        }
    ),
]
Texts = Annotated[
    dict[Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")], str],
    Field(
        max_length=20,
        description='One text per language of the program, e.g. {"fr": "…", "en": "…"}.',
    ),
]


def _no_defaults(schema: dict[str, Any]) -> None:
    """A PATCH field left out keeps its value; ``null`` is not a value (except where the
    field allows it), so the schema shows no ``default: null``."""
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patch(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_no_defaults
    )

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


# Programs


class ProgramFields(BaseModel):
    """The settings of a program, as in the admin's program editor."""

    currency: Currency = "EUR"
    time_zone: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$")] = (
        "Europe/Paris"
    )
    languages: Annotated[list[Language], Field(min_length=1, max_length=20)] = ["fr", "en"]
    default_language: Language = "fr"
    is_active: StrictBool = True
    owner_email: Annotated[
        EmailOrEmpty,
        Field(
            description="Who runs the program: receives the owner's reports (the regular "
            "import's, when its schedule names nobody else); empty for none."
        ),
    ] = ""
    landing_url: WebAddress = ""
    allowed_origins: Annotated[
        list[Annotated[str, Field(max_length=200)]],
        Field(max_length=50, description="Origins of the shop's pages: https://shop.example"),
    ] = []
    attribution_window_days: Days = 30
    validation_delay_days: Days = 14
    fraud_self_referral: FraudAction = "block"
    fraud_existing_customer: FraudAction = "block"
    fraud_already_referred: FraudAction = "block"
    fraud_disposable_email: FraudAction = "review"
    daily_invitation_cap: Count = 50
    monthly_reward_cap: Count = 10
    share_channels: Annotated[list[ShareChannel], Field(max_length=9)] = [
        "email", "whatsapp", "sms", "facebook", "messenger", "x", "linkedin", "link", "qr"
    ]  # fmt: skip
    brand_colour: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")] = "#1f6feb"
    consent_texts: Texts = {}
    rules_url: WebAddress = ""
    legal_url: WebAddress = ""
    privacy_mode: StrictBool = False
    anonymous_invitations: StrictBool = False
    anonymous_invitation_budget: Count = 100
    loyalty_points_per_unit: Points = Decimal("0")
    messages_per_week: Annotated[StrictInt, Field(ge=0, le=1000)] = 3
    quiet_hours_start: Hour | None = Field(time(21, 0), json_schema_extra={"default": "21:00"})
    quiet_hours_end: Hour | None = Field(time(8, 0), json_schema_extra={"default": "08:00"})
    min_gap_hours: Annotated[StrictInt, Field(ge=0, le=720)] = 12
    legal_footer: Texts = {}
    shop_address: Annotated[str, Field(max_length=500)] = ""
    review_url: WebAddress = ""
    retention_months: Annotated[StrictInt, Field(ge=1, le=240)] | None = None


class ProgramIn(Input, ProgramFields):
    """A new program: ``name`` and ``slug`` are required, the rest have the admin's
    defaults."""

    name: Title
    slug: Slug


PROGRAM_FIELDS = ["name", "slug", *ProgramFields.model_fields]


def _optional(name: str, *models: type[BaseModel]) -> type[Patch]:
    """A PATCH body: every field of ``models``, none required, with the same bounds."""
    fields: dict[str, Any] = {}
    for model in models:
        for field_name, field in model.model_fields.items():
            optional = copy(field)
            optional.default, optional.default_factory = None, None
            fields[field_name] = (field.annotation, optional)
    return create_model(name, __base__=Patch, **fields)


class _ProgramNames(BaseModel):
    name: Title
    slug: Slug


#: Only the fields sent change; ``null`` only where the field allows it.
ProgramPatch = _optional("ProgramPatch", _ProgramNames, ProgramFields)


class ProgramOut(ProgramFields):
    id: int
    quiet_hours_start: Annotated[str, Field(pattern=HOUR_PATTERN)] | None
    quiet_hours_end: Annotated[str, Field(pattern=HOUR_PATTERN)] | None
    name: str
    slug: str
    public_key: str = Field(description="pk_…: the widget's key, public by design.")
    created_at: datetime


class ProgramPage(BaseModel):
    items: list[ProgramOut]
    next_cursor: str | None


# Reward rules


class RuleFields(BaseModel):
    value: Money = Decimal("0")
    product_ref: Annotated[str, Field(max_length=120)] = ""
    minimum_order_amount: Money = Decimal("0")
    validity_days: Days = 90
    labels: Annotated[
        dict[Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")], str],
        Field(max_length=20, description='e.g. {"fr": "10 € offerts", "en": "€10 off"}'),
    ] = {}
    is_active: StrictBool = True


class RuleIn(Input, RuleFields):
    side: Side = Field(description="referrer, referee (the welcome offer) or prize.")
    kind: RewardKind


class _RuleKinds(BaseModel):
    side: Side
    kind: RewardKind


RulePatch = _optional("RulePatch", _RuleKinds, RuleFields)
RULE_FIELDS = ["side", "kind", *RuleFields.model_fields]


class RuleOut(BaseModel):
    id: int
    side: str
    kind: str
    value: Decimal
    product_ref: str
    minimum_order_amount: Decimal
    validity_days: int
    labels: dict[str, str]
    is_active: bool


# Keys


class KeyIn(Input):
    label: Annotated[str, Field(max_length=80)] = ""


class KeyOut(BaseModel):
    id: int
    prefix: str = Field(description="The key's first ten characters, to recognise it.")
    label: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")
    revoked_at: datetime | None = Field(
        description="When it was (or, after a rotation with grace, will be) refused."
    )
    active: bool = Field(description="Accepted now (not revoked, or still in its grace).")


class KeyCreated(KeyOut):
    key: str = Field(description="The clear key: shown this once, never again.")


class AccountKeyOut(KeyOut):
    scope: Literal["manage"]
    created_by: str


class AccountKeyCreated(AccountKeyOut):
    key: str = Field(description="The clear key (mk_…): shown this once, never again.")


class IdentityKeyOut(BaseModel):
    secret: str = Field(description="The key that signs identity tokens (see docs/widget.md).")
    previous_accepted_until: datetime | None = Field(
        description="After a rotation, the previous key is still accepted until then."
    )
