"""Every row lock the core takes, in one place, always in primary-key order."""

from __future__ import annotations

from typing import TypeVar

from django.db import OperationalError
from django.db.models import Model, QuerySet

from .models import AnonymousInvitationDay, Contact, Order, Referral

M = TypeVar("M", bound=Model)


def referral_for_update(pk: int) -> Referral:
    return (
        Referral.objects.order_by("pk")
        .select_for_update(of=("self",))
        .select_related("program", "referrer", "referee", "invitation")
        .get(pk=pk)
    )


def referrals_for_update(qs: QuerySet[Referral]) -> list[Referral]:
    return list(qs.order_by("pk").select_for_update(of=("self",)))


def contact_for_update(pk: int) -> Contact:
    return Contact.objects.order_by("pk").select_for_update().get(pk=pk)


def contacts_for_update(pks: list[int]) -> list[Contact]:
    """Many contacts locked in one statement, in primary-key order (a recompute batch)."""
    return list(Contact.objects.filter(pk__in=pks).order_by("pk").select_for_update())


def order_for_update(pk: int) -> Order:
    return Order.objects.order_by("pk").select_for_update().get(pk=pk)


def budget_day_for_update(pk: int) -> AnonymousInvitationDay:
    return AnonymousInvitationDay.objects.order_by("pk").select_for_update().get(pk=pk)


def row_for_update(model: type[M], pk: int) -> M:
    """Any one row, e.g. the holder of a secret being rotated (a program, a webhook endpoint)."""
    return model._default_manager.order_by("pk").select_for_update().get(pk=pk)


def is_deadlock(error: BaseException) -> bool:
    """PostgreSQL broke a deadlock by cancelling this transaction: run it again (it then
    sees the other one's committed rows)."""
    import psycopg.errors

    return isinstance(error, OperationalError) and isinstance(
        error.__cause__, psycopg.errors.DeadlockDetected
    )
