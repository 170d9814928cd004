"""Human texts of badge progress: "3 / 5 friends converted", "2 more friends converted".

Call them inside ``translation.override(language)``: the texts are gettext'd when
formatted. Figures are plain numbers (counts, points, amounts to the cent).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from ..models import BadgeCondition, ConditionKind, LoyaltyKind

CENT = Decimal("0.01")

LABELS = {
    ConditionKind.INVITATIONS_SENT: gettext_lazy("%(value)s / %(threshold)s invitations sent"),
    ConditionKind.FRIENDS_REGISTERED: gettext_lazy("%(value)s / %(threshold)s friends registered"),
    ConditionKind.FRIENDS_CONVERTED: gettext_lazy("%(value)s / %(threshold)s friends converted"),
    ConditionKind.REFERRALS_VALIDATED: gettext_lazy(
        "%(value)s / %(threshold)s referrals validated"
    ),
    ConditionKind.REFERRED_REVENUE: gettext_lazy(
        "%(value)s / %(threshold)s %(currency)s of referred revenue"
    ),
    ConditionKind.POINTS_BALANCE: gettext_lazy("%(value)s / %(threshold)s points"),
    ConditionKind.POINTS_EARNED: gettext_lazy("%(value)s / %(threshold)s points earned"),
    ConditionKind.ACTION_COUNT: gettext_lazy("%(action)s: %(value)s / %(threshold)s"),
}
MISSING = {
    ConditionKind.INVITATIONS_SENT: ngettext_lazy(
        "%(count)s more invitation sent", "%(count)s more invitations sent", "count"
    ),
    ConditionKind.FRIENDS_REGISTERED: ngettext_lazy(
        "%(count)s more friend registered", "%(count)s more friends registered", "count"
    ),
    ConditionKind.FRIENDS_CONVERTED: ngettext_lazy(
        "%(count)s more friend converted", "%(count)s more friends converted", "count"
    ),
    ConditionKind.REFERRALS_VALIDATED: ngettext_lazy(
        "%(count)s more referral validated", "%(count)s more referrals validated", "count"
    ),
    ConditionKind.REFERRED_REVENUE: gettext_lazy("%(count)s %(currency)s more of referred revenue"),
    ConditionKind.POINTS_BALANCE: ngettext_lazy(
        "%(count)s more point", "%(count)s more points", "count"
    ),
    ConditionKind.POINTS_EARNED: ngettext_lazy(
        "%(count)s more point earned", "%(count)s more points earned", "count"
    ),
    ConditionKind.ACTION_COUNT: ngettext_lazy(
        "%(action)s: %(count)s more", "%(action)s: %(count)s more", "count"
    ),
}


def number(value: Decimal) -> str:
    """``5`` for a whole figure, ``12.50`` for an amount."""
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.quantize(CENT))


def action_name(condition: BadgeCondition) -> str:
    if condition.action_kind == LoyaltyKind.CUSTOM and condition.custom_kind:
        return condition.custom_kind
    return str(LoyaltyKind(condition.action_kind).label) if condition.action_kind else ""


def _in_period(text: str, condition: BadgeCondition) -> str:
    if not condition.period_days or condition.kind == ConditionKind.POINTS_BALANCE:
        return text
    return _("%(text)s in the last %(days)s days") % {"text": text, "days": condition.period_days}


def label(condition: BadgeCondition, value: Decimal, currency: str, badge_name: str) -> str:
    if condition.kind == ConditionKind.HOLDS_BADGE:
        if value >= 1:
            return _("%(badge)s badge held") % {"badge": badge_name}
        return _("%(badge)s badge not held yet") % {"badge": badge_name}
    text = LABELS[ConditionKind(condition.kind)] % {
        "value": number(value),
        "threshold": number(condition.threshold),
        "currency": currency,
        "action": action_name(condition),
    }
    return _in_period(text, condition)


def missing(condition: BadgeCondition, value: Decimal, currency: str, badge_name: str) -> str:
    if condition.kind == ConditionKind.HOLDS_BADGE:
        return _("Earn the %(badge)s badge first") % {"badge": badge_name}
    gap = condition.threshold - value
    if condition.kind != ConditionKind.REFERRED_REVENUE:
        gap = gap.to_integral_value(rounding=ROUND_CEILING)
    text = MISSING[ConditionKind(condition.kind)] % {
        "count": number(gap) if condition.kind == ConditionKind.REFERRED_REVENUE else int(gap),
        "currency": currency,
        "action": action_name(condition),
    }
    return _in_period(text, condition)
