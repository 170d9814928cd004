"""Right of access (issue 14): everything the program holds about one contact, as JSON.

``export(contact)`` returns a JSON-ready dict: the contact, consent records, invitations
sent and received, referrals on both sides, orders and refunds, rewards, badges, loyalty
ledger, messages (scheduled and sent), and the audit entries about them. Served by the
server API (``GET …/contacts/{contact}/export``) and by every admin as a download.

Other people appear only as far as the contact already knows them: the friend's email in
an invitation the contact sent by email (they typed it), the name and code a referrer
shares with friends; never the other side's address, phone or consent otherwise. Staff
user names in the audit entries are replaced by ``"staff"``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q

from .. import audit
from ..models import (
    AuditEvent,
    BadgeHolding,
    ConsentRecord,
    Contact,
    Invitation,
    LoyaltyEntry,
    Order,
    Referral,
    Refund,
    Reward,
    ScheduledMessage,
)
from ..models.choices import Channel, ConsentSource

#: Bumped when the layout changes; the first key of every export.
FORMAT = 1

#: Actors kept as they are in the audit entries; any other (a staff user name) is "staff".
_SERVICE_ACTORS = {"system", "contact", "api", "import", "webhook", "widget", "oscar", "demo"}

_CONTACT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "share_name",
    "phone",
    "external_id",
    "language",
    "referrer_code",
    "is_customer",
    "first_order_at",
    "total_spent",
    "tags",
    "consent_recontact",
    "consent_at",
    "consent_source",
    "unsubscribed_at",
    "sms_consent",
    "sms_consent_at",
    "sms_unsubscribed_at",
    "email_verified_at",
    "erased_at",
    "created_at",
)


def export(contact: Contact) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "program": contact.program.name,
        "contact": _fields(contact, _CONTACT_FIELDS),
        "consents": [_consent(c) for c in ConsentRecord.objects.filter(contact=contact)],
        "invitations_sent": _invitations_sent(contact),
        "invitations_received": _invitations_received(contact),
        "referrals_as_referrer": _referrals(contact, Referral.objects.filter(referrer=contact)),
        "referrals_as_referee": _referrals(contact, Referral.objects.filter(referee=contact)),
        "orders": _orders(contact),
        "rewards": _rewards(contact),
        "badges": _badges(contact),
        "loyalty_ledger": _ledger(contact),
        "messages": _messages(contact),
        "audit": _audit(contact),
    }


def exported(contact: Contact, *, actor: str) -> dict[str, Any]:
    """``export(contact)``, audited as ``contact.exported`` by ``actor``. Their orders
    accepted in the background and not attributed yet are attributed first: the export
    then lists them."""
    from .orders import attribute_pending_of

    attribute_pending_of(contact)
    data = export(contact)
    audit.record(contact.program, "contact.exported", contact=contact, actor=actor[:120])
    return data


def filename(contact: Contact) -> str:
    """The download's file name: no personal data in it (it shows in browser histories)."""
    return f"contact-{contact.pk}-export.json"


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(instance: Model, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _json(getattr(instance, name)) for name in names}


def _consent(entry: ConsentRecord) -> dict[str, Any]:
    return {
        **_fields(entry, ("channel", "given", "at", "source", "text", "text_version")),
        "recorded_at": _json(entry.created_at),
    }


def _invitations_sent(contact: Contact) -> list[dict[str, Any]]:
    rows = Invitation.objects.filter(referrer=contact).select_related("referee")
    return [
        {
            **_fields(inv, ("id", "channel", "issued_at")),
            # The friend's address only when the contact typed it (an email invitation).
            "friend_email": inv.referee.email
            if inv.channel == Channel.EMAIL and not inv.referee.is_erased
            else None,
        }
        for inv in rows.order_by("issued_at", "pk")
    ]


def _invitations_received(contact: Contact) -> list[dict[str, Any]]:
    rows = Invitation.objects.filter(referee=contact).select_related("referrer")
    return [
        {**_fields(inv, ("id", "channel", "issued_at")), **_referrer_as_seen(inv.referrer)}
        for inv in rows.order_by("issued_at", "pk")
    ]


def _referrer_as_seen(referrer: Contact) -> dict[str, Any]:
    """What a friend sees of their referrer: the code and the name given for sharing."""
    from .enrolment import sharing_name

    return {"referrer_code": referrer.referrer_code, "referrer_name": sharing_name(referrer)}


_REFERRAL_FIELDS = (
    "id",
    "status",
    "cancel_reason",
    "invited_at",
    "registered_at",
    "converted_at",
    "validated_at",
    "rewarded_at",
    "cancelled_at",
)


def _referrals(contact: Contact, rows: Any) -> list[dict[str, Any]]:
    out = []
    for referral in rows.select_related("referrer", "invitation").order_by("invited_at", "pk"):
        row = _fields(referral, _REFERRAL_FIELDS)
        if referral.referee_id == contact.pk:
            row.update(_referrer_as_seen(referral.referrer))
        out.append(row)
    return out


def _orders(contact: Contact) -> list[dict[str, Any]]:
    refunds: dict[int, list[dict[str, Any]]] = {}
    for refund in Refund.objects.filter(order__contact=contact).order_by("refunded_at", "pk"):
        refunds.setdefault(refund.order_id, []).append(
            _fields(refund, ("external_id", "amount", "refunded_at"))
        )
    fields = (
        "external_id",
        "amount",
        "currency",
        "placed_at",
        "welcome_code",
        "referral_code",
        "refunded_amount",
        "refunded_at",
    )
    return [
        {**_fields(order, fields), "refunds": refunds.get(order.pk, [])}
        for order in Order.objects.filter(contact=contact).order_by("placed_at", "pk")
    ]


def _rewards(contact: Contact) -> list[dict[str, Any]]:
    fields = (
        "side",
        "kind",
        "value",
        "currency",
        "code",
        "status",
        "issued_at",
        "expires_at",
        "sent_at",
        "redeemed_at",
        "cancelled_at",
    )
    rows = Reward.objects.filter(recipient=contact).order_by("issued_at", "pk")
    return [{**_fields(r, fields), "referral_id": r.referral_id} for r in rows]


def _badges(contact: Contact) -> list[dict[str, Any]]:
    rows = BadgeHolding.objects.filter(contact=contact).select_related("badge")
    language = contact.language or contact.program.default_language
    return [
        {
            "badge": _badge_name(holding.badge.names or {}, language),
            **_fields(holding, ("awarded_at", "lost_at", "reason")),
        }
        for holding in rows.order_by("awarded_at", "pk")
    ]


def _badge_name(names: dict[str, str], language: str) -> str:
    return names.get(language) or next(iter(names.values()), "")


def _ledger(contact: Contact) -> list[dict[str, Any]]:
    fields = ("kind", "custom_kind", "points", "occurred_at", "source", "external_id", "reason")
    rows = LoyaltyEntry.objects.filter(contact=contact).order_by("occurred_at", "pk")
    return [_fields(entry, fields) for entry in rows]


def _messages(contact: Contact) -> list[dict[str, Any]]:
    fields = (
        "kind",
        "channel",
        "status",
        "reason",
        "created_at",
        "due_at",
        "sent_at",
        "to",
        "subject_line",
    )
    rows = ScheduledMessage.objects.filter(contact=contact).order_by("created_at", "pk")
    return [_fields(message, fields) for message in rows]


def _audit(contact: Contact) -> list[dict[str, Any]]:
    rows = AuditEvent.objects.filter(Q(contact=contact)).order_by("at", "pk")
    return [
        {
            **_fields(event, ("at", "action", "reason")),
            "actor": _actor(event.actor),
            "data": event.data,
        }
        for event in rows
    ]


def _actor(actor: str) -> str:
    if actor.startswith("api:"):
        return "api"
    if actor in _SERVICE_ACTORS or actor in ConsentSource.values or actor.startswith("import"):
        return actor
    return "staff"
