"""What a referrer is still owed: rewards earned by a friend's order, not validated yet.

A converted referral becomes a reward when the program's validation delay has passed and
the order was not returned (``services.validation``); a referral held for review waits for
the shop owner, with no date. The widget (``/me``) and the Oscar account page show these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..formats import local_date
from ..models import Contact, Referral
from ..models.choices import ReferralStatus
from .offers import describe


@dataclass(frozen=True)
class PendingReward:
    reward: str  # the reward as the offer words it ("€10 off")
    validated_on: datetime | None  # None while the shop owner reviews it


def pending_rewards(referrer: Contact, language: str) -> list[PendingReward]:
    """The referrer's rewards waiting for validation, the soonest first."""
    delay = timedelta(days=referrer.program.validation_delay_days)
    referrals = (
        Referral.objects.filter(
            referrer=referrer, status__in=[ReferralStatus.CONVERTED, ReferralStatus.REVIEW]
        )
        .select_related("invitation")
        .order_by("converted_at", "pk")
    )
    pending = [
        PendingReward(
            reward=describe(referral.referrer_terms or None, language),
            validated_on=(
                referral.converted_at + delay
                if referral.status == ReferralStatus.CONVERTED and referral.converted_at
                else None
            ),
        )
        for referral in referrals
    ]
    return sorted(pending, key=lambda p: (p.validated_on is None, p.validated_on or 0))


def pending_summary(referrer: Contact, pending: list[PendingReward]) -> str:
    """One sentence in the active language: "1 reward pending: validated on 18/12 if the
    order is not returned"; ``""`` when nothing is pending."""
    if not pending:
        return ""
    count = len(pending)
    head = ngettext("%(count)d reward pending", "%(count)d rewards pending", count) % {
        "count": count
    }
    dated = [p.validated_on for p in pending if p.validated_on is not None]
    if not dated:
        return _("%(head)s: the shop is checking the order.") % {"head": head}
    day = local_date(dated[0], referrer.program.time_zone)
    if count == 1:
        text = _("%(head)s: validated on %(date)s if the order is not returned.")
    else:
        text = _("%(head)s: the first one is validated on %(date)s if the order is not returned.")
    return text % {"head": head, "date": day}
