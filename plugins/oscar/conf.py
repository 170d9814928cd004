"""The plugin's own settings, one dict: ``PARRAIN_OSCAR = {"PROGRAM": "my-shop", ...}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed
from pydantic import BaseModel, ConfigDict, Field


class OscarSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Slug of the program this shop runs; empty means the only (first) active program.
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


def _load() -> OscarSettings:
    return OscarSettings(**getattr(django_settings, "PARRAIN_OSCAR", {}))


class _Lazy:
    _wrapped: OscarSettings | None = None

    def __getattr__(self, name: str) -> Any:
        if self._wrapped is None:
            self._wrapped = _load()
        return getattr(self._wrapped, name)

    def reload(self) -> None:
        self._wrapped = None


oscar_settings = _Lazy()

#: Session key holding the referral code carried from the share link.
SESSION_KEY = "parrain_referral_code"


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "PARRAIN_OSCAR":
        oscar_settings.reload()


setting_changed.connect(_reload)
