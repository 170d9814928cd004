"""Every message to a contact goes through ``queue_message``; the scenario editor will too.

Messages are rendered from templates ``parrain/email/<kind>.<lang>.txt`` (first line is
the subject) in the contact's language, and sent by a Celery task after commit through
Django's email backend.

No person's name ever goes into a subject (only the program's name and offer, which the shop
writes). In bodies, a name is plain text: ``render`` blanks any ``*_name`` value, and the
recipient's own ``contact_name``, that is not a name (a web address, a line break), so a
mail client has nothing to turn into a link; templates say "a friend" instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from ..conf import parrain_settings
from ..models import Contact
from ..models.choices import MessageKind
from ..validation_types import name_problem

UNSUBSCRIBE_SALT = "parrain.unsubscribe"


def unsubscribe_token(contact: Contact) -> str:
    return signing.dumps(contact.pk, salt=UNSUBSCRIBE_SALT)


def contact_from_token(token: str) -> Contact | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Contact.objects.filter(pk=pk).first()


def unsubscribe_url(contact: Contact) -> str:
    try:
        path = reverse("parrain:unsubscribe", args=[unsubscribe_token(contact)])
    except NoReverseMatch:
        path = f"/parrain/unsubscribe/{unsubscribe_token(contact)}/"
    return parrain_settings.BASE_URL.rstrip("/") + path


def queue_message(kind: MessageKind, contact: Contact, **context: Any) -> None:
    """Send ``kind`` to ``contact`` once the current transaction commits."""
    if contact.unsubscribed_at is not None or contact.is_erased:
        return
    from ..tasks import send_message

    transaction.on_commit(lambda: send_message.delay(str(kind), contact.pk, context))


def queue_messages(kind: MessageKind, messages: list[tuple[Contact, dict[str, Any]]]) -> None:
    """Send ``kind`` to many contacts (each with its context) once the current transaction
    commits, in one task: a badge recompute awards hundreds of badges a batch, and one
    broker message each cost more than deciding them. Same skips as ``queue_message``."""
    wanted = [
        (contact.pk, context)
        for contact, context in messages
        if contact.unsubscribed_at is None and not contact.is_erased
    ]
    if not wanted:
        return
    from ..tasks import send_messages

    transaction.on_commit(lambda: send_messages.delay(str(kind), wanted))


def language_for(contact: Contact) -> str:
    languages = contact.program.languages or ["en"]
    lang = (contact.language or contact.program.default_language or "en")[:2]
    return lang if lang in languages and lang in ("fr", "en") else "en"


def plain_name(value: Any) -> str:
    """``value`` when it is a person's name, else empty (the template's neutral wording)."""
    name = " ".join(str(value or "").split())
    return "" if name_problem(str(value or "")) else name


def render(kind: str, contact: Contact, context: dict[str, Any]) -> tuple[str, str]:
    names = {key: plain_name(value) for key, value in context.items() if key.endswith("_name")}
    ctx = {
        "contact": contact,
        "program": contact.program,
        "unsubscribe_url": unsubscribe_url(contact),
        **context,
        **names,
        "contact_name": plain_name(contact.first_name),
    }
    text = render_to_string(f"parrain/email/{kind}.{language_for(contact)}.txt", ctx)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def _badge_context(contact: Contact, context: dict[str, Any]) -> dict[str, Any] | None:
    """The badge variables, as they stand at sending; None when the badge was lost since."""
    from ..models import BadgeHolding
    from ..services.badges import message_context

    holding = (
        BadgeHolding.objects.select_related("badge", "contact__program")
        .filter(pk=context.get("holding_id"), contact=contact, lost_at__isnull=True)
        .first()
    )
    return None if holding is None else {**context, **message_context(holding)}


def deliver(kind: str, contact: Contact, context: dict[str, Any]) -> bool:
    """Render and send now; returns False when the contact unsubscribed or was erased."""
    if contact.unsubscribed_at is not None or contact.is_erased:
        return False
    if kind == MessageKind.BADGE_AWARDED:
        context = _badge_context(contact, context)
        if context is None:
            return False
    if kind == MessageKind.CONTEST_WON:
        from ..services.contest_prizes import message_context

        context = message_context(contact, context)
        if context is None:
            return False
    subject, body = render(kind, contact, context)
    sender = parrain_settings.DEFAULT_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL
    send_mail(subject, body, sender, [contact.email])
    return True
