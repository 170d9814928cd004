"""The plugin's own settings, one dict: ``PARRAIN_OSCAR = {"PROGRAM": "my-shop", ...}``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from parrain.core.conf import dict_setting


class OscarSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Slug of the program this shop runs: required (a system check refuses to start without).
    PROGRAM: str = ""
    #: Order statuses that mean "cancelled or refunded": reaching one records a full refund.
    CANCEL_STATUSES: list[str] = Field(default_factory=lambda: ["Cancelled", "Refunded"])
    #: Count orders with tax (what the customer paid) or without.
    AMOUNT_INCLUDES_TAX: bool = True
    #: Welcome and reward vouchers only apply to the signed-in customer they were issued to.
    VOUCHER_FOR_RECIPIENT_ONLY: bool = True
    #: Name of the query parameter and of the first-party cookie carrying a referral code.
    QUERY_PARAM: str = "parrain"
    COOKIE_NAME: str = "parrain_ref"
    #: Loyalty points for an approved product review (``oscar.apps.catalogue.reviews``).
    #: 0 still records the ``review`` action, which badge conditions on reviews count.
    REVIEW_POINTS: int = Field(default=0, ge=0, le=100_000)


oscar_settings = dict_setting("PARRAIN_OSCAR", OscarSettings)

#: Session key holding the referral code carried from the share link.
SESSION_KEY = "parrain_referral_code"
#: The share link's signed click (``parrain_ref_at``) that came with the code, if any.
CLICK_SESSION_KEY = "parrain_referral_click"
