"""Messages to contacts. Every one is a ``ScheduledMessage``: a scenario step schedules it
(``services.scenarios.fire``) or a service asks for it (``scenarios.send_system``), and
``messaging.engine`` sends it through Django's email backend or the SMS backend.

No person's name ever goes into a subject (only the program's name and offer, which the shop
writes). In bodies, a name is plain text: ``render`` blanks any ``*_name`` value, and the
recipient's own ``contact_name``, that is not a name (a web address, a line break), so a
mail client has nothing to turn into a link; templates say "a friend" instead.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from ..conf import parrain_settings
from ..models import Contact
from ..models.choices import MessageKind as MessageKind  # re-exported (older imports)
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
