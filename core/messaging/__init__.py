"""Messages to contacts. Every one is a ``ScheduledMessage``: a scenario step schedules it
(``services.scenarios.fire``) or a service asks for it (``scenarios.send_system``), and
``messaging.engine`` sends it through Django's email backend or the SMS backend.

No person's name ever goes into a subject (only the program's name and offer, which the shop
writes). In bodies, a name is plain text: ``variables.context_for`` blanks a person's name
that is not a name (a web address, a line break), so a mail client has nothing to turn
into a link; templates say "a friend" instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import NoReverseMatch, reverse

from ..conf import parrain_settings
from ..memo import scoped
from ..models import Contact
from ..models.choices import MessageKind as MessageKind  # re-exported (older imports)
from ..validation_types import name_problem

UNSUBSCRIBE_SALT = "parrain.unsubscribe"


def unsubscribe_token(contact: Contact) -> str:
    """``signing.dumps(contact.pk, salt=UNSUBSCRIBE_SALT)``, the same string (what the
    one-click endpoint verifies with ``signing.loads``), without its per-call costs: the
    HMAC key is derived once per secret (``signing`` derives it and keys a new HMAC at each
    call), and the payload of an integer is its digits (``dumps``'s JSON of it)."""
    pk = contact.pk
    if type(pk) is not int:
        return signing.dumps(pk, salt=UNSUBSCRIBE_SALT)
    payload = base64.urlsafe_b64encode(str(pk).encode("ascii")).rstrip(b"=").decode("ascii")
    value = f"{payload}:{signing.b62_encode(int(time.time()))}"
    mac = _unsubscribe_mac(settings.SECRET_KEY).copy()
    mac.update(value.encode("ascii"))
    return f"{value}:{base64.urlsafe_b64encode(mac.digest()).rstrip(b'=').decode('ascii')}"


@lru_cache(maxsize=4)
def _unsubscribe_mac(secret: str | bytes) -> hmac.HMAC:
    """An HMAC keyed as ``signing.TimestampSigner(salt=UNSUBSCRIBE_SALT)`` keys it
    (``salted_hmac(salt + "signer", …, SECRET_KEY, algorithm="sha256")``), to be copied."""
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    key = hashlib.sha256(f"{UNSUBSCRIBE_SALT}signer".encode() + secret_bytes).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def contact_from_token(token: str) -> Contact | None:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Contact.objects.filter(pk=pk).first()


def unsubscribe_url(contact: Contact) -> str:
    token = unsubscribe_token(contact)
    around = url_around("parrain:unsubscribe")
    if around is not None and _PLAIN_ARGUMENT.fullmatch(token):
        return around[0] + token + around[1]
    try:
        path = reverse("parrain:unsubscribe", args=[token])
    except NoReverseMatch:
        path = f"/parrain/unsubscribe/{token}/"
    return parrain_settings.BASE_URL.rstrip("/") + path


_PLACEHOLDER = "PARRAINARGUMENT"
#: An argument ``reverse`` writes as it is (a signed token, a referrer code).
_PLAIN_ARGUMENT = re.compile(r"[A-Za-z0-9_:-]+")


def url_around(name: str) -> tuple[str, str] | None:
    """The absolute URL of ``name`` (one argument) split around its argument, computed
    once per batch (``memo.batch_scope``: the engine's), each time outside one; None when
    the URL is not installed. ``before + argument + after`` is ``reverse``'s URL for an
    argument matching ``_PLAIN_ARGUMENT``."""

    def compute() -> tuple[str, str] | None:
        try:
            path = reverse(name, args=[_PLACEHOLDER])
        except NoReverseMatch:
            return None
        before, found, after = path.partition(_PLACEHOLDER)
        if not found:
            return None
        return parrain_settings.BASE_URL.rstrip("/") + before, after

    return scoped(("url_around", name), compute)


def plain_argument(value: str) -> bool:
    return bool(_PLAIN_ARGUMENT.fullmatch(value))


def language_for(contact: Contact) -> str:
    languages = contact.program.languages or ["en"]
    lang = (contact.language or contact.program.default_language or "en")[:2]
    return lang if lang in languages and lang in ("fr", "en") else "en"


def plain_name(value: Any) -> str:
    """``value`` when it is a person's name, else empty (the template's neutral wording)."""
    name = " ".join(str(value or "").split())
    return "" if name_problem(str(value or "")) else name
