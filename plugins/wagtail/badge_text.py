"""What it takes to earn a badge, in words, for a page no one is logged in to.

The widget and the account pages show a contact's own progress (``core.services.badges``);
a landing page speaks to every visitor, so it states each condition as a goal:
"Have 5 friends place their first order in 30 days".
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext, ngettext

from parrain.core.models import Badge, BadgeCondition
from parrain.core.models.badge import BadgeMatch, ConditionKind


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.2f}"


def _goal(condition: BadgeCondition, language: str) -> str:
    count = (
        int(condition.threshold) if condition.threshold == condition.threshold.to_integral() else 0
    )
    values = {"count": _number(condition.threshold)}
    match condition.kind:
        case ConditionKind.INVITATIONS_SENT:
            text = ngettext("Send %(count)s invitation", "Send %(count)s invitations", count)
        case ConditionKind.FRIENDS_REGISTERED:
            text = ngettext(
                "Have %(count)s friend claim their welcome offer",
                "Have %(count)s friends claim their welcome offer",
                count,
            )
        case ConditionKind.FRIENDS_CONVERTED:
            text = ngettext(
                "Have %(count)s friend place their first order",
                "Have %(count)s friends place their first order",
                count,
            )
        case ConditionKind.REFERRALS_VALIDATED:
            text = ngettext(
                "Have %(count)s referral validated", "Have %(count)s referrals validated", count
            )
        case ConditionKind.REFERRED_REVENUE:
            text = gettext("Bring %(count)s %(currency)s of orders from your friends")
            values["currency"] = condition.badge.program.currency
        case ConditionKind.POINTS_BALANCE:
            text = ngettext("Hold %(count)s loyalty point", "Hold %(count)s loyalty points", count)
        case ConditionKind.POINTS_EARNED:
            text = ngettext("Earn %(count)s loyalty point", "Earn %(count)s loyalty points", count)
        case ConditionKind.ACTION_COUNT:
            text = ngettext(
                "Complete the action “%(action)s” %(count)s time",
                "Complete the action “%(action)s” %(count)s times",
                count,
            )
            values["action"] = condition.custom_kind or condition.get_action_kind_display()
        case _:
            text = gettext("Hold the badge “%(badge)s”")
            required = condition.required_badge
            values["badge"] = required.name(language) if required else ""
    return text % values


def condition_text(condition: BadgeCondition, language: str) -> str:
    """One condition as a goal in ``language``, with its rolling period when it has one."""
    with translation.override(language):
        text = _goal(condition, language)
        if condition.period_days and condition.kind != ConditionKind.HOLDS_BADGE:
            text = ngettext(
                "%(goal)s within %(days)s day",
                "%(goal)s within %(days)s days",
                condition.period_days,
            ) % {"goal": text, "days": condition.period_days}
        return text


def match_text(badge: Badge, language: str) -> str:
    """The heading of the condition list: all of them, or any one."""
    with translation.override(language):
        if badge.match == BadgeMatch.ANY:
            return gettext("Any one of these:")
        return gettext("To earn it:")
