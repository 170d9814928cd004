"""Typed ``PARRAIN_WEBHOOKS`` setting (a dict), reloaded when a test overrides it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from parrain.core.conf import dict_setting

# The Standard Webhooks schedule: immediately, then these delays after each failure.
DEFAULT_RETRY_DELAYS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Inbound
    MAX_BODY_BYTES: Annotated[int, Field(ge=1024)] = 1024 * 1024
    TOLERANCE_SECONDS: Annotated[int, Field(ge=1)] = 5 * 60
    # Shopify keeps X-Shopify-Triggered-At across its own retries (up to 48 hours).
    SHOPIFY_MAX_AGE_SECONDS: Annotated[int, Field(ge=60)] = 48 * 3600
    # Saleor keeps the payload's ``issuedAt`` (when the subscription selects it) on retries.
    SALEOR_MAX_AGE_SECONDS: Annotated[int, Field(ge=60)] = 48 * 3600
    JWKS_CACHE_SECONDS: Annotated[int, Field(ge=0)] = 3600
    # Requests refused before their signature verifies (and unknown endpoints, duplicates):
    # (requests, seconds) per client IP; past it, 429 and nothing is stored.
    REFUSALS_PER_IP: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]] = (30, 60)
    # Outbound
    RETRY_DELAYS: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_DELAYS)
    )
    MAX_RETRY_AFTER_SECONDS: Annotated[int, Field(ge=0)] = 24 * 3600
    DISABLE_AFTER_DAYS: Annotated[int, Field(ge=1)] = 5
    CONNECT_TIMEOUT: Annotated[float, Field(gt=0)] = 5.0
    READ_TIMEOUT: Annotated[float, Field(gt=0)] = 15.0
    RESPONSE_EXCERPT_BYTES: Annotated[int, Field(ge=0)] = 2000
    # Inbound deliveries and delivered or failed outbound messages older than this are purged
    # by the ``purge_webhook_logs`` task (they hold customers' personal data).
    KEEP_LOGS_DAYS: Annotated[int, Field(ge=1)] = 30
    # Private, loopback and link-local targets are refused unless this is True (DEBUG does
    # not change it; a system check warns when it is on outside DEBUG).
    ALLOW_PRIVATE_TARGETS: bool = False


webhook_settings = dict_setting("PARRAIN_WEBHOOKS", WebhookSettings)
