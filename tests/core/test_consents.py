"""Consent is a record (issue 14): every way a consent is given or withdrawn leaves a
``ConsentRecord`` (channel, answer, when, source, text shown), and the contact holds a copy
of the latest one per channel, which the dashboard's opt-in figure reads."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from parrain.core.factories import ContactFactory, ProgramFactory, verified_referrer
from parrain.core.messaging import unsubscribe_url
from parrain.core.models import ConsentRecord, Contact, Invitation, Program
from parrain.core.models.choices import ConsentChannel, ConsentSource
from parrain.core.services import consents
from parrain.core.services.contacts import (
    ContactData,
    record_sms_consent,
    sms_unsubscribe,
    upsert_contact,
)
from parrain.core.services.registration import register_referee
from parrain.plugins.generic_webhook.inbound import translate
from tests.widget.conftest import Widget

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    return ProgramFactory(consent_texts={"en": "Yes, email me your offers.", "fr": "Oui !"})


def only_record(contact: Contact) -> ConsentRecord:
    records = consents.history(contact)
    assert len(records) == 1, records
    return records[0]


def test_text_version_is_a_short_stable_id_of_the_text() -> None:
    assert consents.text_version("Yes") == consents.text_version("Yes")
    assert consents.text_version("Yes") != consents.text_version("Yes.")
    assert len(consents.text_version("Yes")) == 12
    assert consents.text_version("") == ""


def test_the_widget_claim_records_the_text_shown_in_the_friends_language(
    program: Program,
) -> None:
    from parrain.core.api import ratelimit
    from parrain.core.api.origins import forget_programs

    cache.clear()
    ratelimit.buffered.clear()
    forget_programs()
    code = verified_referrer(program, "alice@example.com").referrer_code
    response = Widget(program=program, client=Client()).post(
        "/claims?lang=en", {"code": code, "email": "bob@example.org", "consent": True}
    )
    assert response.status_code == 200, response.content
    bob = Contact.objects.get(program=program, email="bob@example.org")
    entry = only_record(bob)
    assert (entry.channel, entry.given, entry.source) == ("email", True, ConsentSource.WIDGET)
    assert entry.text == "Yes, email me your offers."
    assert entry.text_version == consents.text_version("Yes, email me your offers.")
    assert bob.consent_recontact is True and bob.consent_source == "widget"
    assert Invitation.objects.get(referee=bob).referee_consent is True


def test_the_default_text_is_recorded_when_the_program_has_none_for_the_language() -> None:
    program = ProgramFactory(name="Lumière", consent_texts={})
    with translation.override("en"):
        text = consents.consent_text(program, "en")
    assert "Lumière" in text and "unsubscribe" in text


def test_a_server_api_registration_records_source_api(program: Program) -> None:
    code = verified_referrer(program, "alice@example.com").referrer_code
    register_referee(program, code, "bob@example.org", consent=False, source="api")
    entry = only_record(Contact.objects.get(email="bob@example.org"))
    assert (entry.given, entry.source, entry.text) == (False, ConsentSource.API, "")


@pytest.mark.parametrize(
    ("source", "expected"),
    [("api", ConsentSource.API), ("webhook", ConsentSource.WEBHOOK), ("oscar", "oscar")],
)
def test_a_contact_upsert_records_both_channels(
    program: Program, source: str, expected: str
) -> None:
    data = ContactData(
        email="carol@example.com", consent_recontact=True, sms_consent=True, consent_source=source
    )
    contact, _ = upsert_contact(program, data)
    records = {r.channel: r for r in consents.history(contact)}
    assert set(records) == {"email", "sms"}
    assert {r.source for r in records.values()} == {expected}
    contact.refresh_from_db()
    assert contact.consent_recontact is True and contact.sms_consent is True


def test_the_same_answer_from_a_nightly_sync_adds_no_record(program: Program) -> None:
    data = ContactData(email="carol@example.com", consent_recontact=True, sms_consent=False)
    contact, _ = upsert_contact(program, data)
    upsert_contact(program, data)
    upsert_contact(program, data)
    assert len(consents.history(contact)) == 2
    changed = ContactData(email="carol@example.com", consent_recontact=False)
    upsert_contact(program, changed)
    assert [r.given for r in consents.history(contact) if r.channel == "email"] == [False, True]


def test_the_generic_webhook_customer_goes_through_the_upsert(program: Program) -> None:
    translate.customer(program, "dan@example.com", first_name="Dan")
    dan = Contact.objects.get(email="dan@example.com")
    assert consents.history(dan) == []  # a customer event carries no consent


def test_the_unsubscribe_link_records_a_withdrawal(program: Program) -> None:
    contact = ContactFactory(program=program, consent_recontact=True)
    response = Client().post(unsubscribe_url(contact))
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.unsubscribed_at is not None
    entry = only_record(contact)
    assert (entry.channel, entry.given, entry.source) == ("email", False, "unsubscribe")
    assert contact.consent_recontact is False
    # A second click changes nothing.
    Client().post(unsubscribe_url(contact))
    assert len(consents.history(contact)) == 1


def test_an_sms_stop_records_a_withdrawal_for_every_contact_with_the_number() -> None:
    one = ContactFactory(phone="+33612345678", sms_consent=True, sms_consent_at=timezone.now())
    other = ContactFactory(phone="+33612345678", sms_consent=True, sms_consent_at=timezone.now())
    assert sms_unsubscribe("+33612345678") == 2
    for contact in (one, other):
        contact.refresh_from_db()
        entry = only_record(contact)
        assert (entry.channel, entry.given, entry.source) == ("sms", False, "sms_stop")
        assert contact.sms_consent is False and contact.sms_unsubscribed_at is not None


def test_the_account_page_answer_is_a_record_with_the_label_shown(program: Program) -> None:
    contact = ContactFactory(program=program)
    assert record_sms_consent(contact, True, "oscar-account", text="Text me")
    entry = only_record(contact)
    assert (entry.channel, entry.given, entry.source) == ("sms", True, "account")
    assert entry.text == "Text me"
    assert not record_sms_consent(contact, True, "oscar-account")  # nothing new


def test_the_latest_record_wins(program: Program) -> None:
    contact = ContactFactory(program=program)
    now = timezone.now()
    consents.record(contact, ConsentChannel.EMAIL, True, source=ConsentSource.WIDGET, at=now)
    consents.record(
        contact,
        ConsentChannel.EMAIL,
        False,
        source=ConsentSource.ADMIN,
        at=now + timedelta(minutes=1),
    )
    contact.refresh_from_db()
    assert contact.consent_recontact is False
    assert contact.consent_source == "admin"
    assert contact.consent_at == now + timedelta(minutes=1)
    assert [r.given for r in consents.history(contact)] == [False, True]


def test_an_older_dated_record_is_kept_but_does_not_overwrite(program: Program) -> None:
    contact = ContactFactory(program=program)
    now = timezone.now()
    consents.record(contact, ConsentChannel.SMS, True, source=ConsentSource.ACCOUNT, at=now)
    consents.record(
        contact,
        ConsentChannel.SMS,
        False,
        source=ConsentSource.IMPORT,
        at=now - timedelta(days=30),
    )
    contact.refresh_from_db()
    assert contact.sms_consent is True and contact.sms_consent_at == now
    assert len(consents.history(contact)) == 2


def test_a_record_keeps_the_invitations_copy_in_step(program: Program) -> None:
    code = verified_referrer(program, "alice@example.com").referrer_code
    register_referee(program, code, "bob@example.org", consent=True)
    bob = Contact.objects.get(email="bob@example.org")
    consents.record(bob, ConsentChannel.EMAIL, False, source=ConsentSource.ADMIN)
    assert Invitation.objects.get(referee=bob).referee_consent is False


def test_save_false_writes_nothing(program: Program) -> None:
    contact = ContactFactory(program=program)
    entry = consents.record(
        contact, ConsentChannel.EMAIL, True, source=ConsentSource.IMPORT, save=False
    )
    assert entry.pk is None and contact.consent_recontact is True
    contact.refresh_from_db()
    assert contact.consent_recontact is None and not ConsentRecord.objects.exists()


def test_the_backfill_migration_creates_one_record_per_stored_consent(program: Program) -> None:
    at = timezone.now() - timedelta(days=100)
    widget = ContactFactory(
        program=program, consent_recontact=True, consent_at=at, consent_source="widget"
    )
    legacy = ContactFactory(program=program, consent_recontact=False, consent_source="crm-x")
    sms_only = ContactFactory(program=program, sms_consent=True, sms_consent_at=at)
    never = ContactFactory(program=program)
    migration = importlib.import_module("parrain.core.migrations.0024_consent_records_backfill")

    migration.backfill(apps, None)

    entry = only_record(widget)
    assert (entry.channel, entry.given, entry.source, entry.at) == ("email", True, "widget", at)
    entry = only_record(legacy)
    assert (entry.given, entry.source, entry.at) == (False, "api", legacy.created_at)
    entry = only_record(sms_only)
    assert (entry.channel, entry.given, entry.at) == ("sms", True, at)
    assert consents.history(never) == []
    migration.remove(apps, None)
    assert not ConsentRecord.objects.exists()


def test_a_shop_label_that_is_no_known_source_is_kept_beside_api(program: Program) -> None:
    data = ContactData(email="fred@example.com", sms_consent=True, consent_source="checkout")
    contact, _ = upsert_contact(program, data)
    entry = only_record(contact)
    assert (entry.source, entry.actor) == ("api", "checkout")
