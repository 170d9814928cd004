"""Create or update contacts: from the API, imports, and the shop plugins."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from .. import audit, locks
from ..conf import parrain_settings
from ..emails import normalize_email, normalize_phone
from ..exceptions import InvalidInput
from ..models import ConsentRecord, Contact, Program
from ..models.choices import ConsentChannel, ConsentSource
from ..validation_types import Email, ExternalId, Language, Moment, Name, Phone
from . import consents


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
    sms_consent: StrictBool | None = Field(
        None, description="Whether the person agrees to receive SMS (separate from email)."
    )
    consent_source: str = "api"


def find_contact(program: Program, email: str) -> Contact | None:
    return Contact.objects.filter(program=program, email_normalized=normalize_email(email)).first()


def get_or_create_contact(program: Program, email: str, **defaults: object) -> tuple[Contact, bool]:
    """The contact for ``email``, created if new; safe under concurrent calls."""
    normalized = normalize_email(email)
    try:
        # get_or_create creates inside its own savepoint: a lost race leaves the caller's
        # transaction usable, so no second savepoint (two round trips) is needed here.
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
    answers = _new_answers(contact, data)
    try:
        with transaction.atomic():
            contact.save()
            source = consents.source_of(data.consent_source)
            # The shop's own label ("checkout") is kept beside the source it maps to.
            label = "" if data.consent_source == source else data.consent_source
            for channel, given in answers:
                consents.record(contact, channel, given, source=source, actor=label)
    except IntegrityError as exc:
        raise InvalidInput(
            _("This external id already belongs to another contact."), field="external_id"
        ) from exc
    if (ConsentChannel.SMS, data.sms_consent) in answers:
        _audit_sms_consent(contact, data.consent_source)
    if contact.is_customer and not was_customer:
        _became_customer(contact)
    return contact, created


def _new_answers(contact: Contact, data: ContactData) -> list[tuple[ConsentChannel, bool]]:
    """The consents ``data`` states that differ from the stored ones: a sync sending the
    same answer every night adds no record."""
    answers = []
    if data.consent_recontact is not None and data.consent_recontact != contact.consent_recontact:
        answers.append((ConsentChannel.EMAIL, data.consent_recontact))
    if data.sms_consent is not None and (
        data.sms_consent is not contact.sms_consent or contact.sms_consent_at is None
    ):
        answers.append((ConsentChannel.SMS, data.sms_consent))
    return answers


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


def set_email_unsubscribed(
    contact: Contact,
    unsubscribed: bool,
    *,
    actor: str,
    source: ConsentSource = ConsentSource.ACCOUNT,
    text: str = "",
) -> bool:
    """Stop (or start again) the program's emails to ``contact``, as the contact asked
    from their account (or the unsubscribe link: ``source``); audited, and kept as an email
    consent record withdrawn (or given again). Returns whether anything changed. Messages
    still waiting are dropped when due (MessageRule.UNSUBSCRIBED)."""
    if (contact.unsubscribed_at is not None) == unsubscribed:
        return False
    now = timezone.now()
    contact.unsubscribed_at = now if unsubscribed else None
    with transaction.atomic():
        contact.save(update_fields=["unsubscribed_at"])
        consents.record(
            contact,
            ConsentChannel.EMAIL,
            not unsubscribed,
            source=source,
            at=now,
            text=text,
            actor=actor,
        )
    action = "contact.unsubscribed" if unsubscribed else "contact.resubscribed"
    audit.record(contact.program, action, contact=contact, actor=actor)
    return True


def set_sms_number(contact: Contact, phone: str, *, actor: str) -> bool:
    """The mobile number the person gives for SMS (any form; stored E.164); audited.
    Raises ``InvalidInput`` (field "phone") for what is not a valid number, storing nothing.
    Returns whether it changed."""
    try:
        number = normalize_phone(phone, parrain_settings.PHONE_REGION)
    except ValueError as exc:
        raise InvalidInput(_("This is not a valid mobile number."), field="phone") from exc
    if number == contact.phone:
        return False
    contact.phone = number
    contact.save(update_fields=["phone"])
    audit.record(contact.program, "contact.phone_changed", contact=contact, actor=actor)
    return True


def record_consent(
    contact: Contact, consent: bool, source: str, *, save: bool = True, text: str = ""
) -> ConsentRecord:
    """The person's answer to "may we email you?" (``text``: the sentence they saw), as a
    consent record copied onto the contact (see ``consents.record`` for ``save``)."""
    return consents.record(
        contact,
        ConsentChannel.EMAIL,
        consent,
        source=consents.source_of(source),
        text=text,
        save=save,
    )


def record_sms_consent(
    contact: Contact, consent: bool, source: str, *, resubscribe: bool = False, text: str = ""
) -> bool:
    """Record the person's answer to "may we send you SMS?"; True when it changed.

    The same answer again (a nightly sync) changes nothing and writes no audit entry. A STOP
    reply (``sms_unsubscribed_at``) outlasts any consent the shop sends; only the person
    ticking the box again themselves (``resubscribe``: their account page) lifts it.
    """
    changed = consent is not contact.sms_consent or contact.sms_consent_at is None
    lifted = resubscribe and consent and contact.sms_unsubscribed_at is not None
    if not (changed or lifted):
        return False
    with transaction.atomic():
        if lifted:
            contact.sms_unsubscribed_at = None
            contact.save(update_fields=["sms_unsubscribed_at"])
        consents.record(
            contact,
            ConsentChannel.SMS,
            consent,
            source=consents.source_of(source),
            text=text,
            actor="contact" if resubscribe else "",
        )
    _audit_sms_consent(contact, source, resubscribed=lifted)
    return True


def _audit_sms_consent(contact: Contact, source: str, *, resubscribed: bool = False) -> None:
    audit.record(
        contact.program,
        "contact.sms_consent",
        contact=contact,
        actor="contact" if resubscribed else "system",
        consent=contact.sms_consent,
        source=source[:40],
        **({"resubscribed": True} if resubscribed else {}),
    )


def sms_unsubscribe(number: str) -> int:
    """A STOP reply from ``number`` (E.164): no more SMS to any contact with it, in every
    program; returns how many contacts it unsubscribed (already unsubscribed ones: none)."""
    now = timezone.now()
    pks = list(
        Contact.objects.filter(phone=number, sms_unsubscribed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic():
        # Locked, then read again: two STOPs at once unsubscribe (and audit) once.
        contacts = [c for c in locks.contacts_for_update(pks) if c.sms_unsubscribed_at is None]
        withdrawals = []
        for contact in contacts:
            contact.sms_unsubscribed_at = now
            withdrawals.append(
                consents.record(
                    contact,
                    ConsentChannel.SMS,
                    False,
                    source=ConsentSource.SMS_STOP,
                    at=now,
                    actor="contact",
                    save=False,
                )
            )
        Contact.objects.bulk_update(
            contacts, ["sms_unsubscribed_at", "sms_consent", "sms_consent_at"]
        )
        ConsentRecord.objects.bulk_create(withdrawals)
        for contact, withdrawal in zip(contacts, withdrawals, strict=True):
            consents.announce(withdrawal, contact, current=True)
        audit.record_many(
            [
                audit.event(
                    contact.program, "contact.sms_unsubscribed", contact=contact, actor="contact"
                )
                for contact in contacts
            ]
        )
    return len(contacts)
