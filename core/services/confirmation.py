"""Unconfirmed referrers: their email invitations wait until they confirm their own address.

A visitor who enrolled in the widget without the shop vouching for them may be anyone, with
anyone's address. Their invitation requests are held (no mail, no invitation, no referral);
the address they gave gets one email (at most one an hour) with their share link and a
signed, timestamped confirmation link. Confirming (a POST from that page, not the GET a
mail scanner makes) marks the address confirmed and releases the held invitations through
``invite_by_email``, so the fraud rules and the daily cap apply. Each program also caps how
many such invitations leave per day; past it they wait for the next day's release
(``release_waiting``, a scheduled task) and the managers are told once that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.core.mail import mail_managers, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..conf import parrain_settings
from ..emails import normalize_email
from ..locks import budget_day_for_update, contact_for_update
from ..messaging.email import default_sender
from ..models import AnonymousInvitationDay, Contact, HeldInvitation, Program
from ..models.choices import MessageKind
from .enrolment import ensure_code
from .invitations import cap_room, invite_by_email, not_yet_invited
from .scenarios import send_system

CONFIRM_SALT = "parrain.confirm-email"
CONFIRM_VALID = timedelta(days=3)
RESEND_AFTER = timedelta(hours=1)
HOLD_FOR = timedelta(days=7)  # held invitations not released by then are dropped
RELEASE_BATCH = 200


@dataclass(frozen=True)
class Release:
    sent: int
    waiting: int
    dropped: int = 0


# The confirmation link


def confirmation_token(contact: Contact) -> str:
    """Signed and timestamped; tied to the address, so a changed email voids it."""
    return signing.dumps({"c": contact.pk, "e": contact.email_normalized}, salt=CONFIRM_SALT)


def contact_from_confirmation(token: str, *, now: float | None = None) -> Contact | None:
    """The contact of a valid, unexpired token; None for anything else."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_VALID)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    contact = Contact.objects.select_related("program").filter(pk=data.get("c")).first()
    if contact is None or contact.email_normalized != data.get("e"):
        return None
    return contact


def confirmation_url(contact: Contact) -> str:
    token = confirmation_token(contact)
    try:
        path = reverse("parrain:confirm-email", args=[token])
    except NoReverseMatch:  # core URLs not installed
        path = f"/parrain/confirm/{token}/"
    return parrain_settings.BASE_URL.rstrip("/") + path


def send_confirmation(contact: Contact, *, held: int = 0, at: datetime | None = None) -> bool:
    """Email ``contact`` their share link and a confirmation link; at most one an hour."""
    at = at or timezone.now()
    recent = Q(confirmation_sent_at__gt=at - RESEND_AFTER)
    claimed = Contact.objects.filter(pk=contact.pk).exclude(recent).update(confirmation_sent_at=at)
    if not claimed:
        return False
    ensure_code(contact)
    audit.record(contact.program, "contact.confirmation_sent", contact=contact, held=held)
    # The link is signed now (valid CONFIRM_VALID from this moment); the rest is read again
    # when the message is composed.
    send_system(
        MessageKind.CONFIRMATION,
        contact,
        context={"confirm_link": confirmation_url(contact), "held": held},
        at=at,
    )
    return True


# Holding and releasing


def hold_invitations(referrer: Contact, emails: list[str]) -> int:
    """Keep ``emails`` until ``referrer`` confirms; returns how many are held in all."""
    program = referrer.program
    with transaction.atomic():
        HeldInvitation.objects.bulk_create(
            [
                HeldInvitation(
                    program=program,
                    referrer=referrer,
                    email=email,
                    email_normalized=normalize_email(email),
                )
                for email in emails
            ],
            ignore_conflicts=True,
        )
        held = HeldInvitation.objects.filter(referrer=referrer).count()
        audit.record(program, "invitation.held", contact=referrer, requested=len(emails), held=held)
        send_confirmation(referrer, held=held)
    return held


def confirm_address(contact: Contact, *, actor: str = "contact") -> Release:
    """The person proved they read ``contact``'s mailbox: confirm it, release what waits."""
    with transaction.atomic():
        locked = contact_for_update(contact.pk)
        if locked.email_verified_at is None:
            locked.email_verified_at = timezone.now()
            locked.save(update_fields=["email_verified_at"])
            audit.record(contact.program, "contact.email_confirmed", contact=locked, actor=actor)
    contact.email_verified_at = locked.email_verified_at
    return release_held(contact)


def release_held(referrer: Contact, *, at: datetime | None = None) -> Release:
    """Send a confirmed referrer's held invitations, within the daily cap and budget."""
    at = at or timezone.now()
    program = referrer.program
    with transaction.atomic():
        referrer = contact_for_update(referrer.pk)  # one release at a time per referrer
        held = list(HeldInvitation.objects.filter(referrer=referrer).order_by("pk"))
        if not held or referrer.email_verified_at is None:
            return Release(sent=0, waiting=len(held))
        if not program.anonymous_invitations:  # turned off meanwhile: nothing leaves
            HeldInvitation.objects.filter(referrer=referrer).delete()
            audit.record(program, "invitation.dropped", contact=referrer, count=len(held))
            return Release(sent=0, waiting=0, dropped=len(held))
        emails = not_yet_invited(referrer, [h.email for h in held])
        room = cap_room(referrer, at)
        wanted = len(emails) if room is None else min(len(emails), room)
        batch = emails[: take_budget(program, wanted, at)]
        if batch:
            invite_by_email(referrer, batch, at=at)
        waiting = set(map(normalize_email, emails[len(batch) :]))
        HeldInvitation.objects.filter(referrer=referrer).exclude(
            email_normalized__in=waiting
        ).delete()
        if batch:
            audit.record(
                program,
                "invitation.released",
                contact=referrer,
                sent=len(batch),
                waiting=len(waiting),
            )
    return Release(sent=len(batch), waiting=len(waiting))


def release_waiting(*, at: datetime | None = None) -> int:
    """The scheduled pass: drop stale requests, release confirmed referrers' held mail."""
    at = at or timezone.now()
    HeldInvitation.objects.filter(requested_at__lt=at - HOLD_FOR).delete()
    referrer_ids = (
        HeldInvitation.objects.filter(referrer__email_verified_at__isnull=False)
        .order_by("requested_at")
        .values_list("referrer_id", flat=True)
        .distinct()[:RELEASE_BATCH]
    )
    sent = 0
    for referrer in Contact.objects.select_related("program").filter(pk__in=list(referrer_ids)):
        sent += release_held(referrer, at=at).sent
    return sent


# The per-program daily budget


def _today(program: Program, at: datetime) -> AnonymousInvitationDay:
    day = timezone.localdate(at)
    try:
        with transaction.atomic():
            row, _created = AnonymousInvitationDay.objects.get_or_create(program=program, day=day)
    except IntegrityError:  # created by a concurrent release
        row = AnonymousInvitationDay.objects.get(program=program, day=day)
    return budget_day_for_update(row.pk)


def take_budget(program: Program, wanted: int, at: datetime) -> int:
    """Reserve up to ``wanted`` of today's budget; returns how many may leave now."""
    budget = program.anonymous_invitation_budget
    if not budget or wanted <= 0:
        return max(0, wanted)
    row = _today(program, at)
    allowed = min(wanted, max(0, budget - row.sent))
    row.sent += allowed
    row.save(update_fields=["sent"])
    if row.sent >= budget:
        _tell_managers_once(program, row, at)
    return allowed


def budget_reached_today(program: Program, at: datetime | None = None) -> bool:
    budget = program.anonymous_invitation_budget
    day = timezone.localdate(at or timezone.now())
    row = AnonymousInvitationDay.objects.filter(program=program, day=day).first()
    return bool(budget and row and row.sent >= budget)


def _tell_managers_once(program: Program, row: AnonymousInvitationDay, at: datetime) -> None:
    if row.managers_told_at is not None:
        return
    row.managers_told_at = at
    row.save(update_fields=["managers_told_at"])
    audit.record(
        program,
        "invitation.budget_reached",
        budget=program.anonymous_invitation_budget,
        day=row.day,
    )
    subject = _("%(program)s: daily budget of invitations from unconfirmed referrers reached") % {
        "program": program.name
    }
    body = _(
        "%(count)s invitation emails from referrers who were not confirmed when they asked "
        "left %(program)s today, the daily budget. Further ones wait until tomorrow. If this "
        "is not expected, turn off email invitations from unconfirmed referrers in the "
        "program's settings."
    ) % {"count": row.sent, "program": program.name}
    transaction.on_commit(lambda: tell_owner(program, subject, body))


def tell_owner(program: Program, subject: str, body: str) -> None:
    """A report for the shop owner: to the program's ``owner_email``, else to the site's
    ``MANAGERS`` (Django's setting)."""
    if program.owner_email:
        send_mail(subject, body, default_sender(), [program.owner_email], fail_silently=True)
    else:
        mail_managers(subject, body, fail_silently=True)
