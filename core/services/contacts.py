"""Create or update contacts: from the API, imports, and the shop plugins."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, StrictBool

from ..emails import normalize_email
from ..exceptions import InvalidInput
from ..models import Contact, Program
from ..validation_types import Email, ExternalId, Language, Moment, Name, Phone


class ContactData(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email
    external_id: ExternalId | None = None
    first_name: Name = ""
    last_name: Name = ""
    phone: Phone = ""
    language: Language | None = None
    is_customer: StrictBool | None = None
    first_order_at: Moment | None = None
    consent_recontact: StrictBool | None = None
    consent_source: str = "api"


def find_contact(program: Program, email: str) -> Contact | None:
    return Contact.objects.filter(program=program, email_normalized=normalize_email(email)).first()


def get_or_create_contact(program: Program, email: str, **defaults: object) -> tuple[Contact, bool]:
    """The contact for ``email``, created if new; safe under concurrent calls."""
    normalized = normalize_email(email)
    try:
        with transaction.atomic():
            return Contact.objects.get_or_create(
                program=program, email_normalized=normalized, defaults={"email": email, **defaults}
            )
    except IntegrityError:
        return Contact.objects.get(program=program, email_normalized=normalized), False


def upsert_contact(
    program: Program, data: ContactData, *, vouched: bool = False
) -> tuple[Contact, bool]:
    """``vouched``: the shop answers for the address (secret-key API, shop account sync)."""
    contact, created = get_or_create_contact(program, data.email)
    was_customer = contact.is_customer
    if vouched and contact.email_verified_at is None:
        contact.email_verified_at = timezone.now()
    for field in ("first_name", "last_name", "phone", "external_id", "language"):
        value = getattr(data, field)
        if value:
            setattr(contact, field, value)
    if data.is_customer:
        contact.is_customer = True
    if data.first_order_at and (
        contact.first_order_at is None or data.first_order_at < contact.first_order_at
    ):
        contact.first_order_at = data.first_order_at
        contact.is_customer = True
    if data.consent_recontact is not None:
        record_consent(contact, data.consent_recontact, data.consent_source, save=False)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise InvalidInput(
            _("This external id already belongs to another contact."), field="external_id"
        ) from exc
    if contact.is_customer and not was_customer:
        _became_customer(contact)
    return contact, created


def _became_customer(contact: Contact) -> None:
    from ..models.choices import Recipient, Trigger
    from .scenarios import fire

    fire(
        contact.program,
        Trigger.BECAME_CUSTOMER,
        subject=contact,
        people={Recipient.CONTACT: contact},
    )


def vouch_for(contact: Contact, *, share_name: str = "") -> None:
    """The shop answers for ``contact``'s address (and, if given, the name friends see)."""
    fields = []
    if contact.email_verified_at is None:
        contact.email_verified_at = timezone.now()
        fields.append("email_verified_at")
    if share_name and share_name != contact.share_name:
        contact.share_name = share_name
        fields.append("share_name")
    if fields:
        contact.save(update_fields=fields)


def record_consent(contact: Contact, consent: bool, source: str, *, save: bool = True) -> None:
    contact.consent_recontact = consent
    contact.consent_at = timezone.now()
    contact.consent_source = source[:40]
    if save:
        contact.save(update_fields=["consent_recontact", "consent_at", "consent_source"])
