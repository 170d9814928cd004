"""The figures badge conditions compare with their thresholds, computed in few queries.

Each condition names a metric (its kind, its loyalty action for ``action_count``, its
rolling period). Metrics come in three families, each read with one aggregate query over
its own index, every condition of the family a filtered aggregate of that one query:

- invitations the contact sent (``Invitation.referrer``, index on referrer + issued_at);
- the contact's live referrals as referrer (``Referral.referrer``; cancelled ones never
  count): friends registered / converted, referrals validated (validated or rewarded, the
  seed's "parrains" figure), referred revenue (the converting orders, net of refunds);
- the contact's loyalty ledger (``LoyaltyEntry.contact``): balance, points earned, actions.

``for_contact`` reads one contact (the incremental evaluation); ``for_contacts`` reads a
batch with the same aggregates grouped by contact (the full recompute). A rolling period
of N days counts what happened from ``now - N days`` on, by the metric's own timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from ..models import (
    BadgeCondition,
    BadgeHolding,
    ConditionKind,
    Invitation,
    LoyaltyEntry,
    LoyaltyKind,
    Referral,
)
from ..models.choices import ReferralStatus

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=14, decimal_places=2)
INVITATIONS = (ConditionKind.INVITATIONS_SENT,)
REFERRALS = (
    ConditionKind.FRIENDS_REGISTERED,
    ConditionKind.FRIENDS_CONVERTED,
    ConditionKind.REFERRALS_VALIDATED,
    ConditionKind.REFERRED_REVENUE,
)
LOYALTY = (ConditionKind.POINTS_BALANCE, ConditionKind.POINTS_EARNED, ConditionKind.ACTION_COUNT)
#: Kinds whose figure has no period: a balance is a balance, a badge is held or not.
TIMELESS = (ConditionKind.POINTS_BALANCE, ConditionKind.HOLDS_BADGE)
TIMESTAMP = {
    ConditionKind.INVITATIONS_SENT: "issued_at",
    ConditionKind.FRIENDS_REGISTERED: "registered_at",
    ConditionKind.FRIENDS_CONVERTED: "converted_at",
    ConditionKind.REFERRALS_VALIDATED: "validated_at",
    ConditionKind.REFERRED_REVENUE: "converted_at",
    ConditionKind.POINTS_EARNED: "occurred_at",
    ConditionKind.ACTION_COUNT: "occurred_at",
}
VALIDATED = (ReferralStatus.VALIDATED, ReferralStatus.REWARDED)


def metric_key(condition: BadgeCondition) -> str:
    """The name of the figure a condition reads, e.g. ``action_count.review_30d``; also the
    key of the values a holding and its audit entry keep."""
    found = condition.__dict__.get("_metric_key")
    if found is None:
        found = condition.__dict__["_metric_key"] = _metric_key(condition)
    return found


def _metric_key(condition: BadgeCondition) -> str:
    key = str(condition.kind)
    if condition.kind == ConditionKind.HOLDS_BADGE:
        return f"{key}.{condition.required_badge_id}"
    if condition.kind == ConditionKind.ACTION_COUNT:
        key += "." + (condition.custom_kind if _is_custom(condition) else condition.action_kind)
    if condition.period_days and condition.kind not in TIMELESS:
        key += f"_{condition.period_days}d"
    return key


def _is_custom(condition: BadgeCondition) -> bool:
    return condition.action_kind == LoyaltyKind.CUSTOM


def _window(condition: BadgeCondition, now: datetime) -> Q:
    field = TIMESTAMP.get(ConditionKind(condition.kind))
    if field is None:
        return Q()
    if condition.period_days and condition.kind not in TIMELESS:
        return Q(**{f"{field}__gte": now - timedelta(days=condition.period_days)})
    return Q(**{f"{field}__isnull": False})


def _expression(condition: BadgeCondition | int, now: datetime) -> Any:
    if isinstance(condition, int):  # a badge id: whether the contact holds it now
        return Count("pk", filter=Q(badge_id=condition))
    window = _window(condition, now)
    match condition.kind:
        case ConditionKind.REFERRALS_VALIDATED:
            return Count("pk", filter=window & Q(status__in=VALIDATED))
        case ConditionKind.REFERRED_REVENUE:
            net = F("order__amount") - F("order__refunded_amount")
            return Coalesce(Sum(net, filter=window, output_field=MONEY), ZERO, output_field=MONEY)
        case ConditionKind.POINTS_BALANCE:
            return Coalesce(Sum("points"), 0)
        case ConditionKind.POINTS_EARNED:
            # Spending points is not "un-earning" them; a reversal (refund) is.
            earned = Q(points__gt=0) | Q(kind=LoyaltyKind.REVERSAL)
            return Coalesce(Sum("points", filter=window & earned), 0)
        case ConditionKind.ACTION_COUNT:
            kind = Q(kind=condition.action_kind)
            if _is_custom(condition):
                kind &= Q(custom_kind__iexact=condition.custom_kind)
            return Count("pk", filter=window & kind)
        case _:  # invitations sent, friends registered, friends converted
            return Count("pk", filter=window)


def _families(conditions: Iterable[BadgeCondition], held_of: Iterable[int] = ()) -> dict:
    families: dict[str, dict] = {"inv": {}, "ref": {}, "loy": {}}
    families["held"] = {held_key(pk): pk for pk in held_of}
    for condition in conditions:
        family = _family_of(ConditionKind(condition.kind))
        if family:
            families[family].setdefault(metric_key(condition), condition)
    return families


def _family_of(kind: ConditionKind) -> str:
    if kind in INVITATIONS:
        return "inv"
    if kind in REFERRALS:
        return "ref"
    return "loy" if kind in LOYALTY else ""


def held_key(badge_id: int) -> str:
    return f"held.{badge_id}"


def _base(family: str) -> tuple[QuerySet, str]:
    if family == "held":
        return BadgeHolding.objects.filter(lost_at__isnull=True), "contact_id"
    if family == "inv":
        return Invitation.objects.all(), "referrer_id"
    if family == "ref":
        return Referral.objects.exclude(status=ReferralStatus.CANCELLED), "referrer_id"
    return LoyaltyEntry.objects.all(), "contact_id"


def _aliases(metrics: dict[str, BadgeCondition], now: datetime) -> tuple[dict, dict]:
    """SQL-safe aliases (``m0``, ``m1``…) for the metric keys, with their aggregates."""
    names = {f"m{i}": key for i, key in enumerate(metrics)}
    return names, {alias: _expression(metrics[key], now) for alias, key in names.items()}


def for_contact(
    contact_id: int,
    conditions: Iterable[BadgeCondition],
    now: datetime,
    held_of: Iterable[int] = (),
) -> dict:
    """Every metric ``conditions`` need for one contact, in one query (all families); with
    ``held_of`` (badge ids), also ``held.<id>``: 1 when the contact holds that badge."""
    families = {f: m for f, m in _families(conditions, held_of).items() if m}
    if not families:
        return {}
    signature = tuple((family, tuple(sorted(m))) for family, m in families.items())
    plan = PLANS.get(signature) or _remember(signature, Plan.compile(families))
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, plan.bind(contact_id, now))
        row = cursor.fetchone()
    return {key: Decimal(value or 0) for key, value in zip(plan.keys, row, strict=True)}


#: The incremental evaluation runs the same few statements over and over: compiling their
#: thirty filtered aggregates costs far more than running them, so each is compiled once
#: per process (keyed by its metrics) and only its parameters change.
PLANS: dict[tuple, Plan] = {}
SENTINEL_ID = -982_451_653
SENTINEL_NOW = datetime(2000, 1, 1, tzinfo=UTC)


def _remember(signature: tuple, plan: Plan) -> Plan:
    if len(PLANS) > 256:
        PLANS.clear()
    PLANS[signature] = plan
    return plan


@dataclass(frozen=True)
class Plan:
    """One statement reading every family of one contact: one row, one column a metric.

    Compiled by the ORM for a sentinel contact at a sentinel "now"; ``bind`` swaps in the
    real contact and the real period starts (``now - N days``) in the parameters."""

    sql: str
    params: tuple
    keys: tuple[str, ...]
    periods: dict  # the sentinel period start, as the database adapter has it → its offset

    @classmethod
    def compile(cls, families: dict[str, dict[str, BadgeCondition]]) -> Plan:
        joins, columns, params, keys = [], [], [], []
        for n, (family, metrics) in enumerate(sorted(families.items())):
            queryset, group = _base(family)
            names, aggregates = _aliases(metrics, SENTINEL_NOW)
            grouped = queryset.filter(**{group: SENTINEL_ID}).values(group).annotate(**aggregates)
            sql, sub_params = grouped.order_by().query.sql_with_params()
            joins.append(f"LEFT JOIN ({sql}) f{n} ON 1 = 1")
            params += sub_params
            columns += [f'f{n}."{alias}"' for alias in names]
            keys += list(names.values())
        adapt = connection.ops.adapt_datetimefield_value
        periods = {
            adapt(SENTINEL_NOW - timedelta(days=d)): timedelta(days=d) for d in _days(families)
        }
        # Only ORM-compiled SQL and our own aliases go in; every value stays a parameter.
        select = ", ".join(columns)
        sql = f"SELECT {select} FROM (SELECT 1 AS one) base {' '.join(joins)}"  # nosec B608 # ORM-compiled SQL, values are parameters
        return cls(sql=sql, params=tuple(params), keys=tuple(keys), periods=periods)

    def bind(self, contact_id: int, now: datetime) -> list:
        adapt = connection.ops.adapt_datetimefield_value
        bound = []
        for param in self.params:
            if param == SENTINEL_ID:
                param = contact_id
            elif _hashable(param) and param in self.periods:
                param = adapt(now - self.periods[param])
            bound.append(param)
        return bound


def _hashable(value: Any) -> bool:
    return not isinstance(value, (list, dict, set))


def _days(families: dict[str, dict[str, BadgeCondition]]) -> set[int]:
    return {
        c.period_days
        for metrics in families.values()
        for c in metrics.values()
        if isinstance(c, BadgeCondition) and c.period_days and c.kind not in TIMELESS
    }


def for_contacts(
    contact_ids: list[int], conditions: Iterable[BadgeCondition], now: datetime
) -> dict[int, dict[str, Decimal]]:
    """The same metrics for a batch of contacts, one grouped query per family."""
    families = {f: m for f, m in _families(conditions).items() if m}
    found: dict[int, dict[str, Decimal]] = {pk: {} for pk in contact_ids}
    for family, metrics in families.items():
        queryset, group = _base(family)
        names, aggregates = _aliases(metrics, now)
        rows = (
            queryset.filter(**{f"{group}__in": contact_ids})
            .values(group)
            .annotate(**aggregates)
            .order_by()
        )
        for row in rows:
            pk = row.pop(group)
            found[pk].update({names[a]: Decimal(v or 0) for a, v in row.items()})
    # contacts with no row in a family count zero
    zeros = {key: ZERO for metrics in families.values() for key in metrics}
    return {pk: {**zeros, **figures} for pk, figures in found.items()}
