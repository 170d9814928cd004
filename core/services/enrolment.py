"""Enrol a referrer: an email becomes a contact with a personal code and share URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse

from .. import audit, signals
from ..codes import random_code
from ..conf import parrain_settings
from ..models import Contact, Program
from ..prepared import Prepared
from ..validation_types import name_problem
from .contacts import get_or_create_contact, vouch_for

SHARE_QUERY_PARAM = "parrain"


@dataclass(frozen=True)
class Enrolment:
    contact: Contact
    code: str
    share_url: str
    created: bool  # newly enrolled as a referrer
    new_contact: bool = False  # the address was unknown before this enrolment


def share_url(contact: Contact) -> str:
    """The referrer's share link ``/r/<code>``: it counts the visit, then lands on the shop."""
    from ..messaging import plain_argument, url_around

    code = contact.referrer_code or ""
    around = url_around("parrain:share-link") if code and plain_argument(code) else None
    if around is not None:  # the engine: reversed once per batch
        return around[0] + code + around[1]
    try:
        path = reverse("parrain:share-link", args=[code])
    except NoReverseMatch:  # core URLs not installed (a settings module without them)
        path = f"/r/{quote(code)}"
    return parrain_settings.BASE_URL.rstrip("/") + path


def ensure_code(contact: Contact) -> str:
    """Give ``contact`` a referrer code once; retries on the (rare) collision."""
    while not contact.referrer_code:
        candidate = random_code(parrain_settings.CODE_LENGTH)
        try:
            with transaction.atomic():
                updated = Contact.objects.filter(pk=contact.pk, referrer_code=None).update(
                    referrer_code=candidate
                )
        except IntegrityError:
            continue
        contact.refresh_from_db(fields=["referrer_code"])
        if updated:
            break
    return contact.referrer_code


@transaction.atomic
def enrol_referrer(
    program: Program,
    email: str,
    *,
    first_name: str = "",
    language: str = "",
    actor: str = "api",
    vouched: bool = False,
) -> Enrolment:
    """Give ``email`` a referrer code; ``vouched``: the caller answers for the address.

    The shop vouches (identity token, secret-key API, shop account): the address counts as
    confirmed and ``first_name`` becomes the name friends see. Anyone else (the anonymous
    widget) leaves an existing contact's names untouched; their ``first_name`` is the name
    shown to friends only for an address nobody knew before.
    """
    contact, created = get_or_create_contact(
        program,
        email,
        first_name=first_name,
        share_name=first_name,
        language=language or program.default_language,
    )
    if vouched:
        vouch_for(contact, share_name=first_name)
    had_code = bool(contact.referrer_code)
    code = ensure_code(contact)
    if not had_code:
        audit.record(program, "referrer.enrolled", contact=contact, actor=actor)
        signals.referrer_enrolled.send(Program, contact=contact, created=created)
    return Enrolment(
        contact=contact,
        code=code,
        share_url=share_url(contact),
        created=not had_code,
        new_contact=created,
    )


def sharing_name(contact: Contact) -> str:
    """The name friends may see: the one the referrer gave for sharing, if still a name."""
    name = contact.share_name.strip()
    return "" if name_problem(name) else name


# Every order carrying a code reads it: compiled once per process (core/prepared.py).
_REFERRER_BY_CODE = Prepared(
    lambda program_id, code: (
        Contact.objects.select_related("program")
        .filter(referrer_code=code, program_id=program_id)
        .order_by("pk")[:1]
    ),
    -7_000_002,
    "PREPARED-SAMPLE-CODE",
)


def referrer_by_code(program: Program | None, code: str) -> Contact | None:
    code = code.strip().upper()
    if program is not None:
        return _REFERRER_BY_CODE.first(program.pk, code)
    return Contact.objects.select_related("program").filter(referrer_code=code).first()
