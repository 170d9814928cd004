"""Secret keys: a program's API keys (``sk_…``) and the account keys (``mk_…``).

One door for creating, rotating and revoking them, whoever asks (the management API, the
admin, the ``parrain_account_key`` command). A program key's changes are written to the
program's audit log, naming the actor (``api:mk_…``, a user name…). Account keys belong to
no program: their creation and revocation go to the ``parrain.audit`` logger (the
structured log) with the actor, the key's prefix and label. The clear key is returned once
and never stored (only its SHA-256 hash).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import audit
from ..models import AccountKey, ApiKey, Program

logger = logging.getLogger("parrain.audit")

#: The longest an old key may stay accepted after a rotation (one day).
MAX_GRACE = timedelta(hours=24)


def create_api_key(program: Program, label: str = "", *, actor: str) -> tuple[ApiKey, str]:
    """A new secret key of ``program``; returns it with its clear value (shown once)."""
    with transaction.atomic():
        key, clear = program.create_api_key(label)
        audit.record(
            program, "api_key.created", actor=actor, key=key.prefix, message=label or key.prefix
        )
    return key, clear


def rotate_api_key(
    key: ApiKey, *, actor: str, grace: timedelta = timedelta(0)
) -> tuple[ApiKey, str]:
    """A new key with the same label; ``key`` is revoked now, or at the end of ``grace``
    (at most :data:`MAX_GRACE`), so the shop can switch without refused requests."""
    grace = min(max(grace, timedelta(0)), MAX_GRACE)
    program = key.program
    with transaction.atomic():
        new, clear = program.create_api_key(key.label)
        ends = timezone.now() + grace
        revoked = (
            ApiKey.objects.filter(pk=key.pk).filter(_still_accepted(ends)).update(revoked_at=ends)
        )
        key.refresh_from_db(fields=["revoked_at"])
        audit.record(
            program,
            "api_key.rotated",
            actor=actor,
            key=key.prefix,
            new_key=new.prefix,
            previous_accepted_until=ends if revoked else key.revoked_at,
            message=f"{key.prefix} → {new.prefix}",
        )
    return new, clear


def revoke_api_key(key: ApiKey, *, actor: str) -> ApiKey:
    """Refuse ``key`` from now on (also ends a rotation's grace early); idempotent."""
    now = timezone.now()
    with transaction.atomic():
        changed = (
            ApiKey.objects.filter(pk=key.pk).filter(_still_accepted(now)).update(revoked_at=now)
        )
        key.refresh_from_db(fields=["revoked_at"])
        if changed:
            audit.record(key.program, "api_key.revoked", actor=actor, key=key.prefix)
    return key


def _still_accepted(moment: datetime) -> Q:
    return Q(revoked_at__isnull=True) | Q(revoked_at__gt=moment)


def create_account_key(label: str = "", *, actor: str) -> tuple[AccountKey, str]:
    """A new account key (scope ``manage``); returns it with its clear value (shown once)."""
    key, clear = AccountKey.create(label, created_by=actor[:150])
    logger.warning(
        "account key %s created by %s",
        key.prefix,
        actor,
        extra={"action": "account_key.created", "actor": actor, "key": key.prefix, "label": label},
    )
    return key, clear


def revoke_account_key(key: AccountKey, *, actor: str) -> AccountKey:
    """Refuse ``key`` from now on; idempotent (a revoked key keeps its first date)."""
    changed = AccountKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    key.refresh_from_db(fields=["revoked_at"])
    if changed:
        logger.warning(
            "account key %s revoked by %s",
            key.prefix,
            actor,
            extra={"action": "account_key.revoked", "actor": actor, "key": key.prefix},
        )
    return key
