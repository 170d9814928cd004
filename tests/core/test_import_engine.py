"""The import engine's rules (issue 14), on both writers: PostgreSQL's COPY path and the
ORM path (SQLite, and PostgreSQL when asked), on the same scenarios."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.importing.engine import CREATED, UPDATED, apply_batch
from parrain.core.importing.rows import ContactRow
from parrain.core.models import (
    AuditEvent,
    ConsentRecord,
    Contact,
    ContactImport,
    Invitation,
    LoyaltyEntry,
    ScenarioStep,
    ScheduledMessage,
)
from parrain.core.models.choices import (
    ConsentSource,
    ImportSource,
    MessageChannel,
    MessageKind,
    Recipient,
    Trigger,
)
from parrain.core.models.loyalty import LoyaltyKind
from parrain.core.services import scenarios

pytestmark = pytest.mark.django_db

JAN = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
MAR = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["orm", pytest.param("copy", marks=pytest.mark.postgres)])
def path(request: pytest.FixtureRequest) -> str:
    if request.param == "copy" and connection.vendor != "postgresql":
        pytest.skip("the COPY writer needs PostgreSQL")
    return request.param


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def run(program, path):
    imp = ContactImport.objects.create(program=program, source=ImportSource.FILE)

    def run(*rows: ContactRow, dry_run: bool = False, prog=None):
        return apply_batch(
            prog or program,
            list(rows),
            contact_import=imp,
            actor="owner@shop.example",
            dry_run=dry_run,
            path=path,
        )

    run.contact_import = imp
    return run


def row(n: int = 2, **kw) -> ContactRow:
    return ContactRow(row=n, **kw)


def test_new_contacts_are_created_with_normalised_email_and_audited(program, run) -> None:
    result = run(
        row(2, email=" Alice@Example.COM ", first_name="Alice", external_id="C1", tags=["vip"]),
        row(3, email="bob+news@gmail.com", last_name="Martin", language="en"),
    )

    assert (result.new, result.updated, result.unchanged) == (2, 0, 0)
    alice = Contact.objects.get(program=program, external_id="C1")
    assert alice.email == "Alice@Example.COM"
    assert alice.email_normalized == "alice@example.com"
    assert alice.first_name == "Alice" and alice.tags == ["vip"]
    bob = Contact.objects.get(program=program, email_normalized="bob+news@gmail.com")
    assert bob.email_canonical == "bob@gmail.com" and bob.language == "en"
    assert alice.language == program.default_language
    event = AuditEvent.objects.get(contact=alice)
    assert event.action == CREATED and event.actor == "owner@shop.example"
    assert event.data["import_id"] == run.contact_import.pk
    assert "first_name" in event.data["changed"] and "external_id" in event.data["changed"]


def test_reimporting_the_same_rows_counts_unchanged_and_writes_nothing(program, run) -> None:
    rows = [
        row(2, email="a@example.com", first_name="A", is_customer=True, first_order_at=JAN),
        row(3, email="b@example.com", consent=True, consent_at=JAN, loyalty_points=120),
        row(4, email="c@example.com", consent=False, tags=["x", "y"], total_spent=Decimal("12.5")),
        row(5, external_id="E5", email="d@example.com", phone="+33612345678"),
    ]
    run(*rows)
    counts = (
        AuditEvent.objects.count(),
        ConsentRecord.objects.count(),
        LoyaltyEntry.objects.count(),
    )

    with CaptureQueriesContext(connection) as queries:
        again = run(*rows)

    assert (again.new, again.updated, again.unchanged) == (0, 0, 4)
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    assert writes == []
    assert len(queries) <= 4  # reads: the contacts, their loyalty, the table's statistics
    assert counts == (
        AuditEvent.objects.count(),
        ConsentRecord.objects.count(),
        LoyaltyEntry.objects.count(),
    )


def test_dry_run_counts_without_writing(program, run) -> None:
    ContactFactory(program=program, email="known@example.com", first_name="Known")

    result = run(
        row(2, email="known@example.com", first_name="Renamed"),
        row(3, email="known@example.com", first_name="Renamed"),
        row(4, email="new@example.com"),
        dry_run=True,
    )

    assert (result.new, result.updated, result.unchanged) == (1, 1, 1)
    assert Contact.objects.filter(program=program).count() == 1
    assert Contact.objects.get(program=program).first_name == "Known"
    assert not AuditEvent.objects.filter(action__in=[CREATED, UPDATED]).exists()


def test_an_import_never_downgrades(program, run) -> None:
    contact = ContactFactory(
        program=program,
        email="keep@example.com",
        first_name="Keep",
        phone="+33611111111",
        is_customer=True,
        first_order_at=JAN,
        tags=["old"],
    )

    result = run(
        row(
            2,
            email="KEEP@example.com",
            first_name=None,
            phone="",
            is_customer=False,
            first_order_at=MAR,
            tags=["new", "old"],
        )
    )

    contact.refresh_from_db()
    assert contact.first_name == "Keep" and contact.phone == "+33611111111"
    assert contact.is_customer is True
    assert contact.first_order_at == JAN
    assert contact.tags == ["old", "new"]
    assert (result.new, result.updated, result.unchanged) == (0, 1, 0)
    event = AuditEvent.objects.get(contact=contact, action=UPDATED)
    assert event.data["changed"] == ["tags"]

    run(row(2, email="keep@example.com", first_order_at=JAN - timedelta(days=3)))
    contact.refresh_from_db()
    assert contact.first_order_at == JAN - timedelta(days=3)


def test_external_id_first_then_email(program, run) -> None:
    by_ext = ContactFactory(program=program, email="old@example.com", external_id="X1")
    by_email = ContactFactory(program=program, email="mail@example.com", external_id=None)
    other = ContactFactory(program=program, email="other@example.com", external_id="X9")

    result = run(
        # Known external id with a new free address: that contact, the address follows.
        row(2, external_id="X1", email="moved@example.com", first_name="Moved"),
        # Known email, unknown external id: that contact gets the id (it had none).
        row(3, external_id="X2", email="mail@example.com"),
        # Known email whose contact has another id: updated, its id kept.
        row(4, external_id="X3", email="other@example.com", last_name="Other"),
        # Known external id, email of someone else: the external id's contact, email kept.
        row(5, external_id="X9", email="mail@example.com", first_name="Nine"),
    )

    assert (result.new, result.updated, result.unchanged) == (0, 4, 0)
    by_ext.refresh_from_db()
    by_email.refresh_from_db()
    other.refresh_from_db()
    assert by_ext.email == "moved@example.com" and by_ext.first_name == "Moved"
    assert by_ext.email_normalized == "moved@example.com"
    assert by_email.external_id == "X2"
    assert other.external_id == "X9" and other.last_name == "Other"
    assert other.first_name == "Nine" and other.email == "other@example.com"
    assert Contact.objects.filter(program=program).count() == 3


def test_rows_naming_one_contact_twice_last_wins(program, run) -> None:
    result = run(
        row(2, email="twice@example.com", external_id="T1", first_name="First"),
        row(3, external_id="T1", first_name="Second"),
        row(4, email="TWICE@example.com", first_name="Second"),
    )

    assert (result.new, result.updated, result.unchanged) == (1, 1, 1)
    contact = Contact.objects.get(program=program)
    assert contact.first_name == "Second" and contact.external_id == "T1"
    assert AuditEvent.objects.filter(contact=contact).count() == 1


def test_unknown_external_id_without_email_is_refused(program, run) -> None:
    result = run(row(7, external_id="NOPE", first_name="Ghost"))

    assert (result.new, result.updated, result.unchanged) == (0, 0, 0)
    assert [r for r, _ in result.refused] == [7]
    assert not Contact.objects.filter(program=program).exists()


def test_erased_contacts_are_never_revived_nor_matched(program, run) -> None:
    from parrain.core.services.erasure import erase_contact

    contact = ContactFactory(program=program, email="gone@example.com", external_id="G1")
    erase_contact(contact, actor="test")
    contact.refresh_from_db()
    tombstone = contact.email

    result = run(
        row(2, email=tombstone, first_name="Revived", is_customer=True),
        row(3, email="gone@example.com", external_id="G1", first_name="Back"),
    )

    contact.refresh_from_db()
    assert contact.erased_at is not None and contact.first_name == ""
    assert contact.is_customer is False
    assert (result.new, result.unchanged) == (1, 1)
    fresh = Contact.objects.get(program=program, email_normalized="gone@example.com")
    assert fresh.pk != contact.pk and fresh.erased_at is None


def test_consent_from_the_file_is_recorded_and_only_a_later_one_replaces_it(program, run) -> None:
    referrer = ContactFactory(program=program)
    known = ContactFactory(
        program=program,
        email="known@example.com",
        consent_recontact=False,
        consent_at=MAR,
        consent_source="widget",
    )
    invitation = Invitation.objects.create(
        program=program,
        referrer=referrer,
        referee=known,
        channel="email",
        referrer_terms={},
        referee_consent=False,
    )

    # An earlier consent in the file does not replace the later refusal.
    result = run(row(2, email="known@example.com", consent=True, consent_at=JAN))
    known.refresh_from_db()
    assert result.unchanged == 1 and known.consent_recontact is False
    assert not ConsentRecord.objects.exists()

    # A later one does, with its record; the invitation's copy follows.
    later = MAR + timedelta(days=1)
    run(row(2, email="known@example.com", consent=True, consent_at=later, consent_source="Form"))
    known.refresh_from_db()
    assert known.consent_recontact is True and known.consent_at == later
    assert known.consent_source == "import"
    record = ConsentRecord.objects.get(contact=known)
    assert (record.given, record.at, record.source) == (True, later, ConsentSource.IMPORT)
    # the file's consent source is the shop's label, shown beside the source; the text the
    # person saw is not in the file, so none is claimed
    assert record.channel == "email" and record.actor == "Form"
    assert (record.text, record.text_version) == ("", "")
    assert record.contact_import_id == run.contact_import.pk
    invitation.refresh_from_db()
    assert invitation.referee_consent is True

    # An undated consent only fills a blank: "now" for a new contact, never an override.
    before = timezone.now()
    run(
        row(3, email="new@example.com", consent=True),
        row(4, email="known@example.com", consent=False),
    )
    fresh = Contact.objects.get(email_normalized="new@example.com")
    assert fresh.consent_recontact is True and fresh.consent_at >= before
    assert ConsentRecord.objects.get(contact=fresh).at == fresh.consent_at
    known.refresh_from_db()
    assert known.consent_recontact is True
    assert ConsentRecord.objects.count() == 2


def test_loyalty_balance_becomes_the_difference_with_earlier_imports(program, run) -> None:
    contact = ContactFactory(program=program, email="points@example.com")
    LoyaltyEntry.objects.create(
        program=program, contact=contact, kind=LoyaltyKind.PURCHASE, points=50, source="shop"
    )

    run(row(2, email="points@example.com", loyalty_points=300))
    run(row(2, email="points@example.com", loyalty_points=300))
    run(row(2, email="points@example.com", loyalty_points=250))

    lines = list(
        LoyaltyEntry.objects.filter(contact=contact, kind=LoyaltyKind.IMPORT)
        .order_by("pk")
        .values_list("points", flat=True)
    )
    assert lines == [300, -50]
    events = AuditEvent.objects.filter(contact=contact, action=UPDATED)
    assert [e.data["changed"] for e in events.order_by("pk")] == [
        ["loyalty_points"],
        ["loyalty_points"],
    ]


def test_total_spent_and_tags(program, run) -> None:
    run(row(2, email="t@example.com", total_spent=Decimal("10"), tags=["a"]))
    result = run(row(2, email="t@example.com", total_spent=Decimal("10.00"), tags=["a"]))
    assert result.unchanged == 1
    run(row(2, email="t@example.com", total_spent=Decimal("25.40"), tags=["b", "a"]))
    contact = Contact.objects.get(program=program)
    assert contact.total_spent == Decimal("25.40") and contact.tags == ["a", "b"]


def test_became_customer_starts_the_scenario_once(program, run) -> None:
    ScenarioStep.objects.filter(program=program).delete()
    step = ScenarioStep.objects.create(
        program=program,
        trigger=Trigger.BECAME_CUSTOMER,
        delay_amount=0,
        channel=MessageChannel.EMAIL,
        kind=MessageKind.INCITATION,
        recipient=Recipient.CONTACT,
    )
    scenarios.forget()
    prospect = ContactFactory(program=program, email="prospect@example.com")
    ContactFactory(program=program, email="already@example.com", is_customer=True)

    rows = [
        row(2, email="prospect@example.com", is_customer=True),
        row(3, email="already@example.com", is_customer=True),
        row(4, email="newcustomer@example.com", is_customer=True),
        row(5, email="newprospect@example.com", is_customer=False),
    ]
    run(*rows)
    run(*rows)

    scheduled = ScheduledMessage.objects.filter(step=step)
    assert sorted(scheduled.values_list("contact__email", flat=True)) == [
        "newcustomer@example.com",
        "prospect@example.com",
    ]
    prospect.refresh_from_db()
    assert prospect.is_customer is True


def snapshot(program) -> dict:
    contacts = {
        c.email_normalized: (
            c.email,
            c.email_canonical,
            c.external_id,
            c.first_name,
            c.last_name,
            c.phone,
            c.language,
            c.is_customer,
            c.first_order_at,
            c.total_spent,
            c.consent_recontact,
            c.consent_at is not None,
            c.consent_source,
            c.tags,
        )
        for c in Contact.objects.filter(program=program)
    }
    events = sorted(
        (e.contact.email_normalized, e.action, tuple(e.data["changed"]))
        for e in AuditEvent.objects.filter(program=program, action__in=[CREATED, UPDATED])
    )
    consents = sorted(
        (r.contact.email_normalized, r.given, r.text, r.text_version, r.source)
        for r in ConsentRecord.objects.filter(program=program)
    )
    points = sorted(
        (e.contact.email_normalized, e.points)
        for e in LoyaltyEntry.objects.filter(program=program, kind=LoyaltyKind.IMPORT)
    )
    return {"contacts": contacts, "events": events, "consents": consents, "points": points}


SCENARIO = [
    [
        row(2, email="a@example.com", external_id="1", first_name="A", tags=["x"]),
        row(3, email="b@example.com", consent=True, consent_at=JAN, consent_source="Web"),
        row(4, email="c@example.com", is_customer=True, first_order_at=MAR, loyalty_points=40),
        row(5, external_id="9"),
    ],
    [
        row(2, external_id="1", email="a2@example.com", last_name="Z", tags=["y", "x"]),
        row(3, email="b@example.com", consent=False, consent_at=MAR),
        row(4, email="c@example.com", first_order_at=JAN, loyalty_points=10),
        row(6, email="d@example.com", total_spent=Decimal("3.5")),
        row(7, email="d@example.com", first_name="D"),
    ],
]


@pytest.mark.postgres
def test_both_writers_give_the_same_result() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the COPY writer needs PostgreSQL")
    results = {}
    for writer in ("orm", "copy"):
        program = ProgramFactory()
        counts = []
        for batch in SCENARIO:
            result = apply_batch(program, batch, path=writer)
            counts.append((result.new, result.updated, result.unchanged, result.refused))
        results[writer] = (counts, snapshot(program))
    assert results["orm"] == results["copy"]
    assert results["copy"][0][1][:3] == (1, 4, 0)


@pytest.mark.parametrize(
    ("source", "recorded"),
    [
        (ImportSource.FILE, ConsentSource.IMPORT),
        (ImportSource.API, ConsentSource.API),
        (ImportSource.OSCAR, ConsentSource.OSCAR),
    ],
)
def test_the_consent_record_names_where_the_rows_came_from(program, source, recorded):
    imp = ContactImport.objects.create(program=program, source=source)
    apply_batch(program, [row(2, email="zoe@example.com", consent=True)], contact_import=imp)
    record = ConsentRecord.objects.get()
    assert record.source == recorded
    assert Contact.objects.get(email_normalized="zoe@example.com").consent_source == recorded


def test_a_field_changed_twice_in_one_batch_counts_each_row_that_changed_it(program, run) -> None:
    """The merge marks a field once but counts every row that changes the contact."""
    result = run(
        row(2, email="again@example.com", first_name="One"),
        row(3, email="again@example.com", first_name="Two"),
        row(4, email="again@example.com", first_name="Two"),
    )

    assert (result.new, result.updated, result.unchanged) == (1, 1, 1)
    event = AuditEvent.objects.get(contact__email_normalized="again@example.com")
    assert event.data["changed"] == ["email", "first_name"]


def test_keys_holding_the_list_separator_are_still_found(program, run) -> None:
    """Lookups send the batch's keys as one string split on the unit separator; an
    external id holding one is sent as a list instead, and still names its contact."""
    odd = "A\x1fB"
    first = run(row(2, email="sep@example.com", external_id=odd), row(3, email="x@example.com"))
    again = run(row(2, external_id=odd, first_name="Sep"), row(3, email="x@example.com"))

    assert (first.new, again.updated, again.unchanged) == (2, 1, 1)
    contact = Contact.objects.get(program=program, external_id=odd)
    assert contact.first_name == "Sep" and contact.email == "sep@example.com"


def test_any_of_sends_one_string_unless_a_value_holds_the_separator() -> None:
    from parrain.core.importing.engine import any_of

    assert any_of(["a@x.fr", "b@x.fr"]) == ("string_to_array(%s, chr(31))", "a@x.fr\x1fb@x.fr")
    assert any_of([]) == ("string_to_array(%s, chr(31))", "")
    assert any_of(["1", "2"], "::bigint[]")[0] == "string_to_array(%s, chr(31))::bigint[]"
    assert any_of(["a\x1fb", "c"]) == ("%s", ["a\x1fb", "c"])
