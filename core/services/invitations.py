"""Invite friends by email; each invitation freezes the referrer reward then in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import audit, fraud, signals
from ..emails import normalize_email
from ..exceptions import CapReached, InvalidInput
from ..locks import contact_for_update
from ..models import Contact, Invitation, Order, Referral
from ..models.choices import Channel, FraudAction, Recipient, ReferralStatus, Trigger
from . import ownership
from .contacts import get_or_create_contact
from .enrolment import ensure_code
from .offers import RewardTerms, better, describe, referrer_terms_at
from .scenarios import fire

INVITATION_RULES = tuple(
    (rule, setting) for rule, setting in fraud.RULES if rule is not fraud.monthly_reward_cap
)


@dataclass(frozen=True)
class InvitationOutcome:
    email: str
    invited: bool
    reason: str = ""
    invitation: Invitation | None = None


def not_yet_invited(referrer: Contact, emails: list[str]) -> list[str]:
    """The addresses this referrer has not invited yet (nor their own): no re-sending."""
    wanted = {normalize_email(e): e for e in emails}
    wanted.pop(referrer.email_normalized, None)
    done = set(
        Invitation.objects.filter(
            referrer=referrer, referee__email_normalized__in=list(wanted)
        ).values_list("referee__email_normalized", flat=True)
    )
    return [email for norm, email in wanted.items() if norm not in done]


def cap_room(referrer: Contact, at: datetime) -> int | None:
    """How many more invitations the daily cap lets ``referrer`` send (None: no cap)."""
    cap = referrer.program.daily_invitation_cap
    return max(0, cap - invitations_today(referrer, at)) if cap else None


def invitations_today(referrer: Contact, now: datetime) -> int:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return Invitation.objects.filter(
        referrer=referrer, issued_at__gte=start, issued_at__lt=start + timedelta(days=1)
    ).count()


def issue_invitation(
    referrer: Contact, referee: Contact, channel: str, at: datetime
) -> tuple[Invitation, Referral | None]:
    """Store one invitation and open the referee's referral if no one else holds them.

    A stale referral of another referrer (see ``ownership.yield_reason``) is cancelled and
    this referrer's opens; a cancelled one of another referrer never blocks. Returns the
    referral only when it is this referrer's.
    """
    invitation, referral, _opened = issue(referrer, referee, channel, at)
    return invitation, referral


def issue(
    referrer: Contact,
    referee: Contact,
    channel: str,
    at: datetime,
    *,
    savepoints: bool = True,
    new_referee: bool = False,
    none_live: bool = False,
) -> tuple[Invitation, Referral | None, bool]:
    """``issue_invitation``, also saying whether this call opened the referral.

    ``savepoints=False``: the caller's transaction runs again as a whole when a concurrent
    twin wins a race (``orders.record_order``), so no savepoint is spent here (two round
    trips each). ``new_referee``: the referee's row was inserted by the caller's own
    transaction, so no referral of theirs can exist yet (no other transaction sees it).
    """
    program = referrer.program
    terms = referrer_terms_at(program, at, referrer=referrer)
    with transaction.atomic(savepoint=savepoints):
        invitation = Invitation.objects.create(
            program=program,
            referrer=referrer,
            referee=referee,
            channel=channel,
            issued_at=at,
            referrer_terms=terms.as_json() if terms else {},
            referee_consent=referee.consent_recontact,
        )
        referral, created = _open_referral(
            referrer,
            referee,
            invitation,
            at,
            savepoints=savepoints,
            new_referee=new_referee,
            none_live=none_live,
        )
        if referral is not None and not created and referral.referrer_id == referrer.pk:
            _keep_better_terms(referral, invitation)
    if created:
        audit.record(
            program, "referral.invited", referral=referral, contact=referee, channel=channel
        )
    signals.invitation_issued.send(
        type(program), invitation=invitation, referral=referral if created else None
    )
    mine = referral is not None and referral.referrer_id == referrer.pk
    return invitation, referral if mine else None, created and mine


def _open_referral(
    referrer: Contact,
    referee: Contact,
    invitation: Invitation,
    at: datetime,
    *,
    savepoints: bool = True,
    new_referee: bool = False,
    none_live: bool = False,
) -> tuple[Referral | None, bool]:
    current = None if none_live else ownership.live_referral(referee, lock=True)
    if current is not None and current.referrer_id != referrer.pk:
        reason = ownership.yield_reason(current, at)
        if reason:
            ownership.supersede(current, reason, by=referrer)
            current = None
    if current is not None:
        return current, False
    if not new_referee:
        final = ownership.last_cancelled(referee, referrer)  # cancelled for cause: stays so
        if final is not None:
            return final, False
    if not savepoints:
        referral = Referral.objects.create(
            program=referrer.program,
            referrer=referrer,
            referee=referee,
            invitation=invitation,
            invited_at=at,
        )
        return referral, True
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                program=referrer.program,
                referrer=referrer,
                referee=referee,
                invitation=invitation,
                invited_at=at,
            )
    except IntegrityError:  # a concurrent invitation opened it first
        return ownership.live_referral(referee), False
    return referral, True


#: A referral whose friend has not ordered yet may still take a re-invitation's better terms.
OPEN_TO_BETTER_TERMS = (ReferralStatus.INVITED, ReferralStatus.REGISTERED, ReferralStatus.REVIEW)


def _keep_better_terms(referral: Referral, invitation: Invitation) -> None:
    """A friend re-invited by the same referrer (e.g. during a boost) keeps the better of
    the referral's terms and the new invitation's (``offers.better``): the referral then
    points at the new invitation, whose date also decides the welcome offer."""
    if referral.status not in OPEN_TO_BETTER_TERMS or referral.invitation_id == invitation.pk:
        return
    current = referral.invitation
    if current is None or not invitation.referrer_terms:
        return
    if current.referrer_terms:
        old = RewardTerms.model_validate(current.referrer_terms)
        new = RewardTerms.model_validate(invitation.referrer_terms)
        if better(old, new) is old:
            return
    Referral.objects.filter(pk=referral.pk).update(invitation=invitation)
    referral.invitation = invitation
    # A held referral already has its order: the order follows the invitation's channel.
    Order.objects.filter(referral=referral).update(channel=invitation.channel)
    audit.record(
        referral.program,
        "referral.terms_improved",
        referral=referral,
        contact=referral.referee,
        invitation=invitation.pk,
        previous_invitation=current.pk,
        terms=describe(invitation.referrer_terms, "en"),
        previous_terms=describe(current.referrer_terms, "en"),
    )


def invite_by_email(
    referrer: Contact,
    emails: list[str],
    *,
    personal_message: str = "",
    at: datetime | None = None,
) -> list[InvitationOutcome]:
    """Invite each address once; the daily cap counts every invitation the referrer sent."""
    if not emails:
        raise InvalidInput("Give at least one email address.", field="emails")
    at = at or timezone.now()
    unique = list(dict.fromkeys(emails))
    with transaction.atomic():
        referrer = contact_for_update(referrer.pk)  # serialises the cap check per referrer
        cap = referrer.program.daily_invitation_cap
        if not cap or invitations_today(referrer, at) + len(unique) <= cap:
            ensure_code(referrer)
            return [_invite_one(referrer, email, personal_message, at) for email in unique]
    audit.record(
        referrer.program,
        "invitation.refused",
        reason="daily_invitation_cap",
        contact=referrer,
        requested=len(unique),
    )
    raise CapReached()


def _invite_one(referrer: Contact, email: str, message: str, at: datetime) -> InvitationOutcome:
    program = referrer.program
    referee, _ = get_or_create_contact(program, email, language=referrer.language)
    existing = ownership.live_referral(referee)
    check = fraud.Check(
        program=program, referrer=referrer, referee=referee, at=at, existing=existing
    )
    verdict = fraud.evaluate(check, INVITATION_RULES)
    if verdict.action == FraudAction.BLOCK:
        audit.record(
            program,
            "invitation.refused",
            reason=verdict.reason,
            contact=referee,
            referrer=referrer.pk,
        )
        return InvitationOutcome(email=email, invited=False, reason=verdict.reason)
    invitation, _referral = issue_invitation(referrer, referee, Channel.EMAIL, at)
    # The note is known only here: the message keeps it (the rest is read at sending).
    fire(
        program,
        Trigger.INVITATION_SENT,
        subject=invitation,
        people={Recipient.FRIEND: referee, Recipient.REFERRER: referrer},
        context={"personal_message": message} if message else None,
        at=at,
    )
    return InvitationOutcome(email=email, invited=True, invitation=invitation)


def open_referral_statuses() -> list[str]:
    return [ReferralStatus.INVITED, ReferralStatus.REGISTERED, ReferralStatus.REVIEW]
