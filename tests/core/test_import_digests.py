"""Re-imports (issue 14): a row the program already holds as it is sent (the same raw row
as the last one naming its contact, nothing the import reads changed since) is counted
unchanged without being parsed, and every import gives exactly the counts, contacts,
consents, loyalty lines and audit entries of the full path (the same scenario run with the
skipping turned off). PostgreSQL: the digest's trigger is PostgreSQL's."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.importing import engine
from parrain.core.importing import rows as parsing
from parrain.core.models import AuditEvent, ConsentRecord, Contact, ContactImport, LoyaltyEntry
from parrain.core.models.choices import ConsentChannel, ConsentSource
from parrain.core.models.loyalty import LoyaltyKind
from parrain.core.services import consents, contact_imports, loyalty
from parrain.core.services.erasure import erase_contact

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ACTOR = "admin:owner"
HEADERS = ["E-mail", "N° client", "Prénom", "Optin", "Date optin", "Points", "Tags"]
MAPPING = {
    "E-mail": "email",
    "N° client": "external_id",
    "Prénom": "first_name",
    "Optin": "consent",
    "Date optin": "consent_at",
    "Points": "loyalty_points",
    "Tags": "tags",
}
ROWS = [
    "ana@example.com;C1;Ana;oui;10/01/2025;120;vip",
    "ben@example.com;C2;Ben;non;11/01/2025;;",
    "cleo@example.com;;Cléo;;;30;b2b, vip",
    " Dan@Example.com ;C4;Dan;;;;",
    "broken;C5;Eve;;;;",  # invalid: counted invalid every time
]


@pytest.fixture(autouse=True)
def _postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the digest and its trigger are PostgreSQL's")


@pytest.fixture
def parsed(monkeypatch) -> list[int]:
    """The row numbers the file parser parses."""
    numbers: list[int] = []
    real = parsing.make_parser

    def counting(*args, **kwargs):
        parse = real(*args, **kwargs)

        def parse_row(number, cells):
            numbers.append(number)
            return parse(number, cells)

        return parse_row

    monkeypatch.setattr(parsing, "make_parser", counting)
    return numbers


def import_file(program, lines: list[str], capture, *, dry_run: bool = False) -> ContactImport:
    text = "\r\n".join([";".join(HEADERS), *lines, ""])
    contact_import = contact_imports.start(program, io.BytesIO(text.encode()), "c.csv", actor=ACTOR)
    contact_import = contact_imports.set_mapping(contact_import, MAPPING, actor=ACTOR)
    if dry_run:
        return contact_imports.check(contact_import, actor=ACTOR)
    with capture(execute=True):
        contact_imports.confirm(contact_import, actor=ACTOR)
    contact_import.refresh_from_db()
    return contact_import


def counts(contact_import: ContactImport) -> tuple[int, int, int, int]:
    c = contact_import
    return (c.new_count, c.updated_count, c.unchanged_count, c.invalid_count)


def state(program) -> list[tuple]:
    """What the program holds, by contact: the contact, its consents, its loyalty lines
    and its audit entries (ids and dates of writing left out)."""
    out = []
    for c in Contact.objects.filter(program=program).order_by("erased_at", "email_normalized"):
        if c.erased_at is not None:  # pseudonymised after its id: only what is left
            out.append(
                (
                    "erased",
                    sorted(AuditEvent.objects.filter(contact=c).values_list("action", flat=True)),
                )
            )
            continue
        out.append(
            (
                c.email,
                c.email_normalized,
                c.external_id,
                c.first_name,
                c.consent_recontact,
                c.consent_at,
                c.consent_source,
                c.tags,
                c.erased_at is not None,
                sorted(ConsentRecord.objects.filter(contact=c).values_list("given", "at")),
                sorted(LoyaltyEntry.objects.filter(contact=c).values_list("kind", "points")),
                sorted(AuditEvent.objects.filter(contact=c).values_list("action", flat=True)),
            )
        )
    return out


def digest_of(contact: Contact) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT import_digest FROM parrain_contact WHERE id = %s", [contact.pk])
        value = cursor.fetchone()[0]
    return bytes(value) if value is not None else None


def both_ways(monkeypatch, scenario: Callable) -> None:
    """``scenario(program)`` → its imports, run with the skipping and without it: the
    same counts and the same program."""
    results = {}
    for skipping in (True, False):
        monkeypatch.setattr(engine, "skipping", lambda skipping=skipping: skipping)
        program = ProgramFactory(languages=["fr", "en"], default_language="fr")
        imports = scenario(program)
        results[skipping] = ([counts(i) for i in imports], state(program))
    assert results[True] == results[False]


# -- the file path ----------------------------------------------------------------------------


def test_a_file_imported_again_is_counted_unchanged_without_parsing_a_row(
    django_capture_on_commit_callbacks, parsed
) -> None:
    program = ProgramFactory(languages=["fr", "en"], default_language="fr")
    first = import_file(program, ROWS, django_capture_on_commit_callbacks)
    assert counts(first) == (4, 0, 0, 1)
    parsed.clear()

    again = import_file(program, ROWS, django_capture_on_commit_callbacks)
    dry_run = import_file(program, ROWS, django_capture_on_commit_callbacks, dry_run=True)

    assert counts(again) == (0, 0, 4, 1)
    assert dry_run.dry_run == {"new": 0, "updated": 0, "unchanged": 4, "invalid": 1}
    assert parsed == [6, 6]  # only the invalid row, each time
    assert len(again.errors) == 1 and again.errors[0]["row"] == 6


def test_a_contact_changed_elsewhere_since_is_read_again(
    django_capture_on_commit_callbacks, parsed
) -> None:
    program = ProgramFactory(languages=["fr", "en"], default_language="fr")
    import_file(program, ROWS, django_capture_on_commit_callbacks)
    ana = Contact.objects.get(program=program, external_id="C1")
    ana.first_name = "Anna"  # an edit in the admin
    ana.save()
    parsed.clear()

    again = import_file(program, ROWS, django_capture_on_commit_callbacks)

    assert counts(again) == (0, 1, 3, 1)
    assert parsed == [2, 6]
    assert Contact.objects.get(pk=ana.pk).first_name == "Ana"
    parsed.clear()  # the row left its digest again
    assert counts(import_file(program, ROWS, django_capture_on_commit_callbacks)) == (0, 0, 4, 1)
    assert parsed == [6]


def _watched_columns() -> list[str]:
    import importlib

    migration = importlib.import_module("parrain.core.migrations.0032_contact_import_digest")
    return list(migration.WATCHED)


def test_the_trigger_watches_every_column_the_engine_reads() -> None:
    assert set(engine.COLUMNS) <= set(_watched_columns())
    assert {"erased_at", "email_verified_at", "program_id"} <= set(_watched_columns())


@pytest.mark.parametrize("column", _watched_columns())
def test_a_change_of_a_watched_column_clears_the_digest(
    django_capture_on_commit_callbacks, column: str
) -> None:
    program = ProgramFactory(languages=["fr", "en"], default_language="fr")
    import_file(program, ROWS[:1], django_capture_on_commit_callbacks)
    ana = Contact.objects.get(program=program)
    assert digest_of(ana) is not None
    changes = {
        "program_id": ProgramFactory().pk,
        "email": "other@example.com",
        "email_normalized": "other@example.com",
        "email_canonical": "other@example.com",
        "external_id": "X9",
        "first_name": "Other",
        "last_name": "Other",
        "phone": "+33612345678",
        "language": "en",
        "is_customer": True,
        "first_order_at": datetime(2024, 1, 1, tzinfo=UTC),
        "total_spent": Decimal("12.00"),
        "consent_recontact": False,
        "consent_at": timezone.now(),
        "consent_source": "admin",
        "tags": ["other"],
        "erased_at": timezone.now(),
        "email_verified_at": timezone.now(),
    }
    value = changes[column]

    Contact.objects.filter(pk=ana.pk).update(**{column: value})

    assert digest_of(ana) is None


def test_a_change_elsewhere_of_another_column_keeps_the_digest(
    django_capture_on_commit_callbacks, parsed
) -> None:
    program = ProgramFactory(languages=["fr", "en"], default_language="fr")
    import_file(program, ROWS[:1], django_capture_on_commit_callbacks)
    ana = Contact.objects.get(program=program)
    Contact.objects.filter(pk=ana.pk).update(share_name="Ana B.", referrer_code="ANA-1")
    ana.refresh_from_db()
    ana.save()  # a save that changes nothing the import reads
    parsed.clear()

    again = import_file(program, ROWS[:1], django_capture_on_commit_callbacks)

    assert digest_of(ana) is not None
    assert counts(again) == (0, 0, 1, 0) and parsed == []


def test_a_contact_a_row_leaves_unchanged_gets_the_rows_digest_for_next_time(
    django_capture_on_commit_callbacks, parsed
) -> None:
    program = ProgramFactory(languages=["fr", "en"], default_language="fr")
    import_file(program, ROWS[:1], django_capture_on_commit_callbacks)
    ana = Contact.objects.get(program=program)
    Contact.objects.filter(pk=ana.pk).update(first_name="Anna")
    Contact.objects.filter(pk=ana.pk).update(first_name="Ana")  # as the file says again
    assert digest_of(ana) is None
    parsed.clear()

    again = import_file(program, ROWS[:1], django_capture_on_commit_callbacks)
    third = import_file(program, ROWS[:1], django_capture_on_commit_callbacks)

    assert counts(again) == counts(third) == (0, 0, 1, 0)
    assert parsed == [2]  # the second import only
    assert digest_of(ana) is not None
    assert not AuditEvent.objects.filter(contact=ana, action=engine.UPDATED).exists()


def test_a_row_is_parsed_again_when_the_mapping_changes(
    django_capture_on_commit_callbacks, parsed
) -> None:
    program = ProgramFactory(languages=["fr", "en"], default_language="fr")
    import_file(program, ROWS, django_capture_on_commit_callbacks)
    parsed.clear()
    text = "\r\n".join([";".join(HEADERS), *ROWS, ""])
    contact_import = contact_imports.start(program, io.BytesIO(text.encode()), "c.csv", actor=ACTOR)
    mapping = {**MAPPING, "Tags": ""}  # the tags left out
    contact_import = contact_imports.set_mapping(contact_import, mapping, actor=ACTOR)
    with django_capture_on_commit_callbacks(execute=True):
        contact_imports.confirm(contact_import, actor=ACTOR)
    contact_import.refresh_from_db()

    assert counts(contact_import) == (0, 0, 4, 1)
    assert parsed == [2, 3, 4, 5, 6]


SCENARIOS: dict[str, Callable] = {}


def scenario(fn: Callable) -> Callable:
    SCENARIOS[fn.__name__] = fn
    return fn


@scenario
def edited_in_the_admin(program, capture) -> list[ContactImport]:
    first = import_file(program, ROWS, capture)
    for contact in Contact.objects.filter(program=program):
        contact.first_name = "Edited"
        contact.save()
    return [first, import_file(program, ROWS, capture)]


@scenario
def consent_withdrawn_elsewhere(program, capture) -> list[ContactImport]:
    first = import_file(program, ROWS, capture)
    ana = Contact.objects.get(program=program, external_id="C1")
    at = datetime(2025, 1, 5, tzinfo=UTC)  # before the file's: the file's wins again
    consents.record(ana, ConsentChannel.EMAIL, False, source=ConsentSource.ADMIN, at=at)
    Contact.objects.filter(pk=ana.pk).update(consent_at=at, consent_recontact=False)
    return [first, import_file(program, ROWS, capture)]


@scenario
def loyalty_imported_elsewhere(program, capture) -> list[ContactImport]:
    """A ledger line of the import's kind written by the API: the contact is untouched,
    the row's balance is compared with what imports brought."""
    first = import_file(program, ROWS, capture)
    ana = Contact.objects.get(program=program, external_id="C1")
    loyalty.record_action(program, ana, LoyaltyKind.IMPORT, 10, source="api")
    return [first, import_file(program, ROWS, capture)]


@scenario
def the_address_another_contact_held_is_freed(program, capture) -> list[ContactImport]:
    """A row naming one contact by its external id and another's address: the address
    is only taken once the other contact gives it up (erased here)."""
    import_file(program, ["zoe@example.com;Z1;Zoé;;;;", "ana@example.com;C1;Ana;;;;"], capture)
    moved = ["zoe@example.com;C1;Ana;;;;"]  # Ana's id, Zoé's address
    first = import_file(program, moved, capture)
    erase_contact(Contact.objects.get(program=program, external_id="Z1"), actor="test")
    return [first, import_file(program, moved, capture)]


@scenario
def a_contact_named_twice_in_a_batch(program, capture) -> list[ContactImport]:
    twice = [*ROWS, "ana@example.com;C1;Anna;;;;"]
    first = import_file(program, twice, capture)
    return [first, import_file(program, twice, capture), import_file(program, ROWS, capture)]


@scenario
def erased_then_imported(program, capture) -> list[ContactImport]:
    first = import_file(program, ROWS, capture)
    erase_contact(Contact.objects.get(program=program, external_id="C2"), actor="test")
    return [first, import_file(program, ROWS, capture)]


@scenario
def rows_changed_in_the_file(program, capture) -> list[ContactImport]:
    first = import_file(program, ROWS, capture)
    changed = [ROWS[0].replace(";120;", ";150;"), ROWS[1].replace("non", "oui"), *ROWS[2:]]
    return [first, import_file(program, changed, capture), import_file(program, ROWS, capture)]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_skipped_rows_give_the_full_paths_counts_and_contacts(
    monkeypatch, django_capture_on_commit_callbacks, name: str
) -> None:
    both_ways(
        monkeypatch, lambda program: SCENARIOS[name](program, django_capture_on_commit_callbacks)
    )


# -- the server API ---------------------------------------------------------------------------

API_ROWS = [
    {
        "email": "ana@example.com",
        "external_id": "C1",
        "first_name": "Ana",
        "consent_recontact": True,
    },
    {"email": "ben@example.com", "last_name": "Martin", "is_customer": True},
    {"email": "not an address"},
]


@pytest.fixture
def validated(monkeypatch) -> list[int]:
    """The API rows validated and turned into import rows."""
    numbers: list[int] = []
    real = contact_imports.row_from_contact_data

    def counting(row, data, now=None):
        numbers.append(row)
        return real(row, data, now)

    monkeypatch.setattr(contact_imports, "row_from_contact_data", counting)
    return numbers


def post_rows(program, rows: list) -> dict:
    _, key = program.create_api_key("tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/programs/{program.slug}/contacts/bulk"
    response = client.post(url, json.dumps({"rows": rows}), content_type="application/json")
    assert response.status_code == 200
    return response.json()


def test_the_api_answers_rows_sent_again_without_validating_them(validated) -> None:
    program = ProgramFactory()
    first = post_rows(program, API_ROWS)
    validated.clear()

    again = post_rows(program, API_ROWS)

    assert validated == []
    ids = [r.get("id") for r in first["results"]]
    assert [(r["status"], r.get("id")) for r in again["results"]] == [
        ("updated", ids[0]),
        ("updated", ids[1]),
        ("error", None),
    ]
    assert again["results"][2]["errors"] == first["results"][2]["errors"]
    assert (again["created"], again["updated"], again["failed"]) == (0, 2, 1)
    contact_import = ContactImport.objects.get(pk=again["import_id"])
    assert counts(contact_import) == (0, 0, 2, 0)


def test_an_api_row_whose_contact_changed_elsewhere_is_validated_again(validated) -> None:
    program = ProgramFactory()
    post_rows(program, API_ROWS)
    ana = Contact.objects.get(program=program, external_id="C1")
    consents.record(ana, ConsentChannel.EMAIL, False, source=ConsentSource.UNSUBSCRIBE)
    validated.clear()

    again = post_rows(program, API_ROWS)

    assert validated == [0]  # Ana's row, whose consent is new again
    assert again["results"][0]["status"] == "updated"
    assert Contact.objects.get(pk=ana.pk).consent_recontact is True
    assert ConsentRecord.objects.filter(contact=ana).count() == 3


def test_an_api_request_with_no_valid_row_records_no_import() -> None:
    program = ProgramFactory()

    body = post_rows(program, [{"email": "not an address"}, "not an object"])

    assert "import_id" not in body and body["failed"] == 2
    assert not ContactImport.objects.filter(program=program).exists()


def test_an_api_consent_not_taken_yet_is_weighed_again_when_sent_again(monkeypatch) -> None:
    """The API dates a consent by its request: one dated before the stored answer changed
    nothing; the same row sent once that answer is older wins, as the full path says."""
    program = ProgramFactory()
    tomorrow = timezone.now() + timedelta(days=1)
    ana = ContactFactory(
        program=program,
        email="ana@example.com",
        consent_recontact=False,
        consent_at=tomorrow,
        email_verified_at=timezone.now(),
    )
    rows = [{"email": "ana@example.com", "consent_recontact": True}]
    post_rows(program, rows)
    assert Contact.objects.get(pk=ana.pk).consent_recontact is False
    assert digest_of(ana) is not None
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)

    post_rows(program, rows)

    assert Contact.objects.get(pk=ana.pk).consent_recontact is True
