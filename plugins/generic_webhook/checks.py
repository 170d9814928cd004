"""System checks of the webhooks plugin."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from .conf import webhook_settings


@register(Tags.security)
def private_targets_outside_debug(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not webhook_settings.ALLOW_PRIVATE_TARGETS or settings.DEBUG:
        return []
    return [
        Warning(
            'PARRAIN_WEBHOOKS["ALLOW_PRIVATE_TARGETS"] is on outside DEBUG: outbound webhooks, '
            "Saleor key fetches and shop API calls may reach this server's own network.",
            hint="Turn it off in production; it is meant for tests and local demos.",
            id="parrain_webhooks.W001",
        )
    ]
