"""Secrets that rotate: the current value, and the previous one during a grace period.

The program's identity secret (core) and each webhook endpoint's signing secret (the
generic_webhook plugin) are stored as three columns: ``<name>``, ``<name>_previous`` and
``<name>_rotated_at``. After a rotation both values are accepted until
``PARRAIN_SECRET_ROTATION_GRACE`` (7 days by default) has passed; then only the current one.
Rotating again inside the grace drops the older previous value at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.utils import timezone

from .conf import parrain_settings

IDENTITY_PREFIX = "idsec_"
DOTS = "•" * 8


def new_identity_secret() -> str:
    """The master of a program's identity-token key: ``idsec_`` and 256 random bits."""
    return IDENTITY_PREFIX + secrets.token_urlsafe(32)


def grace_ends_at(rotated_at: datetime | None) -> datetime | None:
    if rotated_at is None:
        return None
    return rotated_at + parrain_settings.SECRET_ROTATION_GRACE


def in_force(
    current: str, previous: str, rotated_at: datetime | None, *, now: datetime | None = None
) -> list[str]:
    """The values to accept now: the current one first, then the previous one in its grace."""
    values = [current] if current else []
    ends = grace_ends_at(rotated_at)
    if previous and previous != current and ends and (now or timezone.now()) < ends:
        values.append(previous)
    return values


def masked(secret: str) -> str:
    """What a page may show of a secret: its kind prefix, four characters, then dots."""
    if not secret:
        return ""
    prefix, underscore, rest = secret.partition("_")
    if not underscore or len(prefix) > 8:
        prefix, rest = "", secret
    else:
        prefix += "_"
    shown = rest[:4] if len(rest) >= 16 else ""
    return f"{prefix}{shown}{DOTS}"
