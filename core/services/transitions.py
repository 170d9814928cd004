"""The single place where a referral changes status: saves, audits, signals."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .. import audit, invitation_facts, signals
from ..models import Order, Referral
from ..models.choices import ReferralStatus

TIMESTAMP_FIELD = {
    ReferralStatus.REGISTERED: "registered_at",
    ReferralStatus.CONVERTED: "converted_at",
    ReferralStatus.VALIDATED: "validated_at",
    ReferralStatus.REWARDED: "rewarded_at",
    ReferralStatus.CANCELLED: "cancelled_at",
}

# Where each status may go next; cancellation is possible until the reward is issued.
ALLOWED = {
    ReferralStatus.INVITED: {
        ReferralStatus.REGISTERED,
        ReferralStatus.CONVERTED,
        ReferralStatus.REVIEW,
        ReferralStatus.CANCELLED,
    },
    ReferralStatus.REGISTERED: {
        ReferralStatus.CONVERTED,
        ReferralStatus.REVIEW,
        ReferralStatus.CANCELLED,
    },
    ReferralStatus.REVIEW: {
        ReferralStatus.CONVERTED,
        ReferralStatus.REGISTERED,
        ReferralStatus.INVITED,
        ReferralStatus.CANCELLED,
    },
    ReferralStatus.CONVERTED: {ReferralStatus.VALIDATED, ReferralStatus.CANCELLED},
    ReferralStatus.VALIDATED: {ReferralStatus.REWARDED, ReferralStatus.CANCELLED},
    ReferralStatus.REWARDED: set(),
    ReferralStatus.CANCELLED: set(),
}


class IllegalTransition(ValueError):
    pass


def move(
    referral: Referral,
    new: ReferralStatus,
    *,
    action: str,
    reason: str = "",
    at: datetime | None = None,
    order: Order | None = None,
    actor: str = "system",
    message: str = "",
) -> None:
    old = ReferralStatus(referral.status)
    if new not in ALLOWED[old]:
        raise IllegalTransition(f"{old} → {new}")
    referral.status = new
    fields = ["status"]
    stamp = TIMESTAMP_FIELD.get(new)
    if stamp:
        setattr(referral, stamp, at or timezone.now())
        fields.append(stamp)
    if new == ReferralStatus.CANCELLED:
        referral.cancel_reason = reason
        fields.append("cancel_reason")
    if new == ReferralStatus.REVIEW:
        referral.status_before_review = old
        referral.review_reason = reason
        fields += ["status_before_review", "review_reason"]
    if order is not None:
        referral.order = order
        fields.append("order")
    referral.save(update_fields=fields)
    if new == ReferralStatus.CONVERTED:
        invitation_facts.mark_converted(referral.program_id, referral.referee_id)
    audit.record(
        referral.program,
        action,
        reason=reason,
        referral=referral,
        order=order,
        actor=actor,
        message=message,
        old=str(old),
        new=str(new),
    )
    signals.referral_status_changed.send(
        type(referral.program), referral=referral, old_status=old, new_status=new, reason=reason
    )
