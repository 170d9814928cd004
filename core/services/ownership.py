"""Which referrer a referee belongs to: their live referral, its window, and when it yields.

A person (one canonical email: ``+tags``, Gmail dots and googlemail.com folded) has at most
one live (not cancelled) referral per program. An invited-only referral (the friend never
claimed the offer nor ordered) gives way to another referrer when its attribution window
has passed or when its referrer never proved their own email; it is then cancelled as
``superseded_expired`` or ``superseded_unverified`` and the new referrer's referral opens.
A referral the friend acted on (registered, converted or later) is never taken over.
See docs/decisions/0005-stale-referrals-give-way.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max, QuerySet

from ..locks import referrals_for_update
from ..models import Contact, Invitation, Referral
from ..models.choices import ReferralStatus
from ..prepared import Prepared
from .transitions import move

SUPERSEDED_EXPIRED = "superseded_expired"
SUPERSEDED_UNVERIFIED = "superseded_unverified"
SUPERSEDED = (SUPERSEDED_EXPIRED, SUPERSEDED_UNVERIFIED)


def aliases(referee: Contact) -> QuerySet[Contact]:
    """The contacts of the program sharing ``referee``'s canonical email, ``referee`` too."""
    return Contact.objects.filter(
        program_id=referee.program_id, email_canonical=referee.email_canonical
    )


def _live_referrals(program_id: int, email_canonical: str) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(program_id=program_id, referee__email_canonical=email_canonical)
        .exclude(status=ReferralStatus.CANCELLED)
        .select_related("program", "referrer")
    )


# Every order reads it: compiled once per process (core/prepared.py).
_LIVE_REFERRALS = Prepared(
    lambda program_id, email: _live_referrals(program_id, email).order_by("pk"),
    -7_000_001,
    "prepared-sample@live-referral",
)


def live_referral(referee: Contact, *, lock: bool = False) -> Referral | None:
    """The referral not cancelled of ``referee`` under any alias; their own one first."""
    if lock:
        rows = referrals_for_update(_live_referrals(referee.program_id, referee.email_canonical))
    else:
        rows = _LIVE_REFERRALS.all(referee.program_id, referee.email_canonical)
    return min(rows, key=lambda r: (r.referee_id != referee.pk, r.pk), default=None)


def last_cancelled(referee: Contact, referrer: Contact | None = None) -> Referral | None:
    """The latest cancelled referral of ``referee`` (by ``referrer``, final ones only)."""
    qs = Referral.objects.filter(referee=referee, status=ReferralStatus.CANCELLED)
    if referrer is not None:
        qs = qs.filter(referrer=referrer).exclude(cancel_reason__in=SUPERSEDED)
    return qs.order_by("-pk").first()


def within_window(referral: Referral, at: datetime) -> bool:
    """Was the referee last touched (invited by this referrer, or registered) recently enough?

    The window runs to the second: ``at`` exactly ``attribution_window_days`` after the
    last touch is still inside. A window of 0 days means no limit. (An order with the
    welcome code is bound by the code's own validity instead.)
    """
    days = referral.program.attribution_window_days
    if not days:
        return True
    window = timedelta(days=days)
    if at <= referral.invited_at + window:
        return True
    touches = [referral.registered_at] if referral.registered_at else []
    latest = Invitation.objects.filter(
        referrer=referral.referrer_id, referee=referral.referee_id, issued_at__lte=at
    ).aggregate(latest=Max("issued_at"))["latest"]
    touches += [latest] if latest else []
    return any(at <= touch + window for touch in touches)


def yield_reason(referral: Referral, at: datetime) -> str:
    """Why this referral gives way to another referrer at ``at``; ``""`` when it holds."""
    if referral.status != ReferralStatus.INVITED or referral.registered_at or referral.order_id:
        return ""
    if not referral.referrer.is_verified:
        return SUPERSEDED_UNVERIFIED
    if not within_window(referral, at):
        return SUPERSEDED_EXPIRED
    return ""


def supersede(referral: Referral, reason: str, by: Contact) -> None:
    """Cancel a stale referral (locked by the caller) so that ``by``'s referral can open."""
    move(
        referral,
        ReferralStatus.CANCELLED,
        action="referral.superseded",
        reason=reason,
        message=f"superseded by referrer #{by.pk}",
    )
