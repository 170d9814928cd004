"""Fraud rules. Each returns the audit reason when it fires; the program says what to do.

A rule's action is ``off``, ``review`` (the referral waits for the shop owner) or ``block``
(refused, with the reason in the audit log).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from .conf import parrain_settings
from .emails import is_disposable
from .models import Contact, Order, Program, Referral
from .models.choices import FraudAction, ReferralStatus
from .prepared import Prepared
from .services import ownership


@dataclass
class Check:
    """What the rules look at: who refers whom, at which step, with which order."""

    program: Program
    referrer: Contact
    referee: Contact
    at: datetime = field(default_factory=timezone.now)
    order: Order | None = None
    existing: Referral | None = None


@dataclass(frozen=True)
class Verdict:
    action: FraudAction
    reasons: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""


def self_referral(check: Check) -> str | None:
    same = check.referrer.pk == check.referee.pk
    if same or check.referrer.email_canonical == check.referee.email_canonical:
        return "self_referral"
    return None


def _customer_before(
    program_id: int, email_canonical: str, placed_at: datetime, order_id: int
) -> QuerySet[Contact]:
    """The contacts of the person who were customers before the order ``order_id``.

    The earlier order is a scalar subquery (its id, or NULL), not EXISTS: PostgreSQL may
    answer an EXISTS under OR by hashing the whole order table, every order of every
    program scanned for each new one (0.13 ms after 800 orders, growing with the table;
    issue 16 §5), where the subquery is one probe of the contact's index per alias."""
    earlier = Order.objects.filter(contact=OuterRef("pk"), placed_at__lt=placed_at)
    aliases = Contact.objects.filter(program_id=program_id, email_canonical=email_canonical)
    before = (
        Q(first_order_at__lt=placed_at)
        | Q(is_customer=True, first_order_at=None)
        | Q(earlier_order__isnull=False)
    )
    earlier_order = Subquery(earlier.exclude(pk=order_id).order_by().values("pk")[:1])
    return aliases.annotate(earlier_order=earlier_order).filter(before).values_list("pk")[:1]


# Every attributed order reads them: compiled once per process (core/prepared.py).
_CUSTOMER_BEFORE = Prepared(
    _customer_before,
    -7_000_004,
    "prepared-sample@customer-before",
    datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=UTC),
    -7_000_005,
)
_CONVERTED_SINCE = Prepared(
    lambda referrer_id, since: (
        Referral.objects.filter(
            referrer_id=referrer_id,
            converted_at__gte=since,
            status__in=[
                ReferralStatus.CONVERTED,
                ReferralStatus.VALIDATED,
                ReferralStatus.REWARDED,
            ],
        )
        .order_by()
        .values("referrer_id")
        .annotate(counted=Count("pk"))
        .values_list("counted")
    ),
    -7_000_006,
    datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=UTC),
)


def existing_customer(check: Check) -> str | None:
    """The referee, under any alias of their email, was a customer before (this order)."""
    referee, order = check.referee, check.order
    if order is None:
        aliases = ownership.aliases(referee)
        customer = referee.is_customer or aliases.filter(is_customer=True).exists()
        return "existing_customer" if customer else None
    # An order not inserted yet (``orders.record_order`` inserts it once attributed) has
    # no row to leave out: 0 matches none.
    found = _CUSTOMER_BEFORE.rows(
        referee.program_id, referee.email_canonical, order.placed_at, order.pk or 0
    )
    return "existing_customer" if found else None


def already_referred(check: Check) -> str | None:
    """Someone else holds the referee (under any alias), or this referrer under an alias.

    A cancelled referral never holds; an invited-only one that yields (expired, or from an
    unverified referrer) does not hold against another referrer.
    """
    existing = check.existing
    if existing is None or existing.status == ReferralStatus.CANCELLED:
        return None
    if existing.referrer_id == check.referrer.pk:
        return None if existing.referee_id == check.referee.pk else "already_referred"
    return None if ownership.yield_reason(existing, check.at) else "already_referred"


def disposable_email(check: Check) -> str | None:
    extra = parrain_settings.DISPOSABLE_DOMAINS_EXTRA
    return "disposable_email" if is_disposable(check.referee.email, extra) else None


#: The PostgreSQL advisory lock class of "counting a referrer's conversions of the month"
#: (the upper bits of the key; the referrer's id below them).
CAP_LOCK_CLASS = 7_017
#: Inside a drain unit (several orders, one transaction): a referrer's lock is tried, not
#: waited for, so that two units never wait on each other's locks (a deadlock); a unit
#: that cannot take it rolls back, and its order runs alone, then waiting (orders.py).
_CAP_LOCK_NOWAIT: ContextVar[bool] = ContextVar("parrain_cap_lock_nowait", default=False)


class CapLockBusy(Exception):
    """Another transaction counts this referrer's conversions (``cap_lock_nowait``)."""


@contextmanager
def cap_lock_nowait() -> Iterator[None]:
    token = _CAP_LOCK_NOWAIT.set(True)
    try:
        yield
    finally:
        _CAP_LOCK_NOWAIT.reset(token)


def _lock_conversions(referrer_id: int) -> None:
    """One transaction at a time counts and converts a referrer's referrals: without it,
    two orders of two friends converting at once both counted the month's conversions
    before either committed, and both passed a cap that only one of them fitted. The lock
    is the transaction's (let go at its commit); the count that follows is a statement of
    its own, so it sees what the previous holder committed."""
    if connection.vendor != "postgresql":  # SQLite: one writer at a time already
        return
    key = (CAP_LOCK_CLASS << 40) | referrer_id
    with connection.cursor() as cursor:
        if _CAP_LOCK_NOWAIT.get():
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise CapLockBusy(referrer_id)
        else:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def monthly_reward_cap(check: Check) -> str | None:
    cap = check.program.monthly_reward_cap
    if not cap or check.order is None:
        return None
    _lock_conversions(check.referrer.pk)
    month_start = check.at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = _CONVERTED_SINCE.rows(check.referrer.pk, month_start)
    counted = rows[0][0] if rows else 0
    return "monthly_reward_cap" if counted >= cap else None


Rule = Callable[[Check], str | None]

# Each rule with the Program field holding its action (a fixed action when there is none).
RULES: tuple[tuple[Rule, str | FraudAction], ...] = (
    (self_referral, "fraud_self_referral"),
    (existing_customer, "fraud_existing_customer"),
    (already_referred, "fraud_already_referred"),
    (disposable_email, "fraud_disposable_email"),
    (monthly_reward_cap, FraudAction.REVIEW),
)


def _action(program: Program, setting: str | FraudAction) -> FraudAction:
    if isinstance(setting, FraudAction):
        return setting
    return FraudAction(getattr(program, setting))


def evaluate(check: Check, rules: tuple[tuple[Rule, str | FraudAction], ...] = RULES) -> Verdict:
    blocked: list[str] = []
    held: list[str] = []
    for rule, setting in rules:
        action = _action(check.program, setting)
        if action == FraudAction.OFF:
            continue
        reason = rule(check)
        if reason:
            (blocked if action == FraudAction.BLOCK else held).append(reason)
    if blocked:
        return Verdict(FraudAction.BLOCK, tuple(blocked + held))
    if held:
        return Verdict(FraudAction.REVIEW, tuple(held))
    return Verdict(FraudAction.OFF)
