"""The one contact import service: upload → mapping → dry run → confirm → run → report,
the import slot, a crash mid-run resumed without a duplicate or a lost row, and the rows
the server API and the Oscar import hand it."""

from __future__ import annotations

import csv
import gc
import io
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from django.utils import timezone, translation

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.importing import engine
from parrain.core.importing.rows import ContactRow
from parrain.core.models import AuditEvent, Contact, ContactImport, Program
from parrain.core.models.choices import ImportSource, ImportStatus
from parrain.core.services import contact_imports
from parrain.core.services.contact_imports import ImportBusy, ImportRefused

pytestmark = pytest.mark.django_db

ACTOR = "admin:owner"
MAPPING = {"E-mail": "email", "Prénom": "first_name", "Nom": "last_name"}


def csv_file(lines: list[str]) -> io.BytesIO:
    """A shop's export as Excel writes it in France: ``;``, Windows-1252."""
    return io.BytesIO("\r\n".join(["E-mail;Prénom;Nom", *lines, ""]).encode("cp1252"))


def upload(program: Program, lines: list[str], name: str = "clients.csv") -> ContactImport:
    contact_import = contact_imports.start(program, csv_file(lines), name, actor=ACTOR)
    return contact_imports.set_mapping(contact_import, MAPPING, actor=ACTOR)


def error_rows(contact_import: ContactImport) -> list[dict[str, str]]:
    with contact_import.error_file.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=","))


def confirm_and_run(contact_import: ContactImport, capture) -> ContactImport:
    """Confirm; the task queued on commit runs (eagerly, as the tests' Celery does)."""
    with capture(execute=True):
        contact_imports.confirm(contact_import, actor=ACTOR)
    contact_import.refresh_from_db()
    return contact_import


@pytest.fixture
def program() -> Program:
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


def test_upload_reads_the_headers_and_guesses_the_mapping(program: Program) -> None:
    contact_import = contact_imports.start(
        program, csv_file(["ana@example.com;Ana;Lopez"]), "clients.csv", actor=ACTOR
    )

    assert contact_import.status == ImportStatus.UPLOADED
    assert (contact_import.file_kind, contact_import.delimiter) == ("csv", ";")
    assert contact_import.headers == ["E-mail", "Prénom", "Nom"]
    assert contact_import.mapping == MAPPING
    assert contact_import.total_rows == 1
    assert default_storage.exists(contact_import.file.name)


def test_file_import_dry_run_then_real_run_counts_and_reports_invalid_rows(
    program: Program, django_capture_on_commit_callbacks
) -> None:
    # Given a known contact and a file with one new, one changed, one invalid, one blank row
    ContactFactory(program=program, email="known@example.com", first_name="Old")
    contact_import = upload(
        program,
        [
            "new@example.com;Nina;Nouvelle",
            "KNOWN@example.com;Karl;Connu",
            "=cmd|' /C calc'!A0;Evil;Formula",
            ";;",
            "other@example.com;Otto;",
        ],
    )
    assert Program.objects.get(pk=program.pk).import_mapping == MAPPING

    # When the owner runs the dry run
    with translation.override("en"):
        contact_import = contact_imports.check(contact_import, actor=ACTOR)

    # Then the counts and the first errors are shown, and nothing is written
    assert contact_import.status == ImportStatus.CHECKED
    assert contact_import.dry_run == {"new": 2, "updated": 1, "unchanged": 0, "invalid": 1}
    assert contact_import.invalid_count == 1
    [error] = contact_import.errors
    assert (error["row"], error["column"]) == (4, "E-mail") and error["reason"]
    assert Contact.objects.filter(program=program).count() == 1

    # When they confirm, the task imports the valid rows
    contact_import = confirm_and_run(contact_import, django_capture_on_commit_callbacks)

    assert contact_import.status == ImportStatus.DONE
    assert contact_import.finished_at is not None
    assert (contact_import.new_count, contact_import.updated_count) == (2, 1)
    assert contact_import.invalid_count == 1
    assert contact_import.rows_done == contact_import.total_rows == 4
    emails = set(Contact.objects.filter(program=program).values_list("email_normalized", flat=True))
    assert emails == {"known@example.com", "new@example.com", "other@example.com"}
    assert Contact.objects.get(email_normalized="known@example.com").first_name == "Karl"
    # the invalid row, downloadable with its reason, its formula neutralised
    [bad] = error_rows(contact_import)
    assert bad["E-mail"].startswith("'=") and bad["Prénom"] == "Evil" and bad["error"]
    # the file is gone (data minimisation), the import audited with its counts
    assert not contact_import.file
    assert not default_storage.listdir(f"parrain/imports/{contact_import.pk}/invalid-rows")[1]
    event = AuditEvent.objects.get(action="contacts.imported")
    assert event.data["import_id"] == contact_import.pk
    assert (event.data["new"], event.data["updated"], event.data["invalid"]) == (2, 1, 1)

    # A run of a finished import does nothing
    assert contact_imports.run(contact_import.pk).status == ImportStatus.DONE
    assert AuditEvent.objects.filter(action="contacts.imported").count() == 1


def test_the_same_file_again_changes_nothing(
    program: Program, django_capture_on_commit_callbacks
) -> None:
    lines = ["a@example.com;Ana;A", "b@example.com;Ben;B"]
    confirm_and_run(upload(program, lines), django_capture_on_commit_callbacks)
    before = list(Contact.objects.order_by("pk").values())

    again = confirm_and_run(upload(program, lines), django_capture_on_commit_callbacks)

    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(Contact.objects.order_by("pk").values()) == before
    assert not again.error_file


def test_a_second_import_of_the_program_waits_for_the_first(program: Program) -> None:
    first = upload(program, ["a@example.com;Ana;A"])
    second = upload(program, ["b@example.com;Ben;B"])
    contact_imports.confirm(first, actor=ACTOR)  # queued: it holds the slot
    assert first.status == ImportStatus.QUEUED

    with pytest.raises(ImportBusy):
        contact_imports.check(second, actor=ACTOR)
    with pytest.raises(ImportBusy):
        contact_imports.confirm(second, actor=ACTOR)
    second.refresh_from_db()
    assert second.status == ImportStatus.UPLOADED
    # another program is not held up
    other = upload(ProgramFactory(), ["c@example.com;Cy;C"])
    assert contact_imports.check(other, actor=ACTOR).status == ImportStatus.CHECKED


@override_settings(PARRAIN_IMPORT_BATCH=10)
def test_a_crash_mid_run_resumes_without_duplicates_or_lost_rows(
    program: Program, django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 55 rows (every 11th invalid), imported 10 at a time
    lines = [
        f"not-an-address-{n};Bad;Row" if n % 11 == 10 else f"c{n}@example.com;C{n};Row"
        for n in range(55)
    ]
    contact_import = upload(program, lines)
    real_apply, calls = engine.apply_batch, []

    def crashing_apply(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ConnectionError("database went away")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(engine, "apply_batch", crashing_apply)

    # When the third batch fails
    with pytest.raises(ConnectionError):
        confirm_and_run(contact_import, django_capture_on_commit_callbacks)

    # Then two batches are in, counted, and the import is FAILED with the reason; the
    # objects kept from the garbage collector during the import are handed back
    assert gc.get_freeze_count() == 0
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.FAILED
    assert "database went away" in contact_import.failure
    assert contact_import.rows_done == 20
    assert Contact.objects.filter(program=program).count() == contact_import.new_count == 19

    # When it is retried, it resumes after the last committed batch
    with django_capture_on_commit_callbacks(execute=True):
        contact_imports.retry(contact_import, actor=ACTOR)
    contact_import.refresh_from_db()

    # Then every valid row is in exactly once, every invalid one reported once
    assert contact_import.status == ImportStatus.DONE
    assert gc.get_freeze_count() == 0
    emails = Counter(Contact.objects.filter(program=program).values_list("email", flat=True))
    assert emails == Counter({f"c{n}@example.com": 1 for n in range(55) if n % 11 != 10})
    assert (contact_import.new_count, contact_import.invalid_count) == (50, 5)
    assert contact_import.rows_done == 55
    bad = [row["E-mail"] for row in error_rows(contact_import)]
    assert bad == [f"not-an-address-{n}" for n in (10, 21, 32, 43, 54)]
    assert [e["row"] for e in contact_import.errors] == [12, 23, 34, 45, 56]


def test_a_running_import_is_left_alone_unless_its_worker_went_silent(program: Program) -> None:
    contact_import = upload(program, ["a@example.com;Ana;A"])
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ImportStatus.RUNNING, task_id="first-worker", heartbeat_at=timezone.now()
    )

    # a second task for it does nothing while the first worker writes
    assert contact_imports.run(contact_import.pk, task_id="second").status == ImportStatus.RUNNING
    assert not Contact.objects.exists()

    # ten minutes of silence: the import was orphaned, the next task takes it over
    ContactImport.objects.filter(pk=contact_import.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=11)
    )
    assert contact_imports.resume_orphaned() == [contact_import.pk]
    done = contact_imports.run(contact_import.pk, task_id="second")
    assert done.status == ImportStatus.DONE and done.new_count == 1


def test_cancel_frees_the_slot_and_deletes_the_file(
    program: Program, django_capture_on_commit_callbacks
) -> None:
    contact_import = upload(program, ["a@example.com;Ana;A"])
    contact_imports.confirm(contact_import, actor=ACTOR)
    stored = contact_import.file.name

    with django_capture_on_commit_callbacks(execute=True):
        contact_imports.cancel(contact_import, actor=ACTOR)

    assert contact_import.status == ImportStatus.CANCELLED
    assert contact_imports.run(contact_import.pk).status == ImportStatus.CANCELLED
    assert not Contact.objects.exists()
    assert AuditEvent.objects.filter(action="contacts.import_cancelled").exists()
    assert not default_storage.exists(stored)
    next_one = contact_imports.check(upload(program, ["b@example.com;B;B"]), actor=ACTOR)
    assert next_one.status == ImportStatus.CHECKED


def test_uploaded_files_nobody_confirms_are_deleted_after_a_week(
    program: Program, django_capture_on_commit_callbacks, admin_client: Client
) -> None:
    """Data minimisation: a customer file uploaded and left waiting (columns never matched,
    dry run never confirmed, a failure never resumed) is not kept for ever; an import that
    someone touched this week, or that a worker runs, is left alone."""
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=8), tick=False):
        forgotten = upload(program, ["a@example.com;Ana;A"], name="forgotten.csv")
        failed = upload(ProgramFactory(), ["f@example.com;Fay;F"], name="failed.csv")
        running = upload(ProgramFactory(), ["r@example.com;Rob;R"], name="running.csv")
    ContactImport.objects.filter(pk=failed.pk).update(
        status=ImportStatus.FAILED, rows_done=1, finished_at=start - timedelta(days=8)
    )
    ContactImport.objects.filter(pk=running.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=start - timedelta(days=8)
    )
    with time_machine.travel(start - timedelta(days=2), tick=False):
        recent = upload(ProgramFactory(), ["b@example.com;Bea;B"], name="recent.csv")
        contact_imports.check(recent, actor=ACTOR)
    files = {ci.pk: ci.file.name for ci in (forgotten, failed, running, recent)}

    with django_capture_on_commit_callbacks(execute=True):
        assert contact_imports.discard_abandoned() == (2, 0)

    status = dict(ContactImport.objects.values_list("pk", "status"))
    assert status[forgotten.pk] == status[failed.pk] == ImportStatus.CANCELLED
    assert (status[running.pk], status[recent.pk]) == (ImportStatus.RUNNING, ImportStatus.CHECKED)
    assert not default_storage.exists(files[forgotten.pk])
    assert not default_storage.exists(files[failed.pk])
    assert default_storage.exists(files[running.pk]) and default_storage.exists(files[recent.pk])
    events = AuditEvent.objects.filter(action="contacts.import_abandoned")
    assert sorted(e.data["import_id"] for e in events) == sorted([forgotten.pk, failed.pk])
    # the owner reads why on the import's page, in words
    page = admin_client.get(
        f"/admin/parrain/contactimport/{forgotten.pk}/flow/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Left waiting for 7 days: the uploaded file was deleted." in page
    page = admin_client.get(
        f"/admin/parrain/contactimport/{forgotten.pk}/flow/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Resté en attente 7 jours : le fichier envoyé a été supprimé." in page
    # a second run finds nothing more to do
    assert contact_imports.discard_abandoned() == (0, 0)


def test_invalid_rows_files_are_deleted_a_month_after_their_import(
    program: Program, django_capture_on_commit_callbacks
) -> None:
    start = timezone.now()
    done = []
    for days in (31, 10):
        with time_machine.travel(start - timedelta(days=days), tick=False):
            contact_import = upload(ProgramFactory(), ["x@example.com;X;X", "not-an-email;Y;Y"])
            done.append(confirm_and_run(contact_import, django_capture_on_commit_callbacks))
    old, recent = done
    assert old.error_file and recent.error_file
    old_file = old.error_file.name

    assert contact_imports.discard_abandoned() == (0, 1)

    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.error_file and not default_storage.exists(old_file)
    assert recent.error_file and default_storage.exists(recent.error_file.name)
    assert old.status == ImportStatus.DONE and old.invalid_count == 1  # the report stays


def test_files_that_cannot_be_imported_are_refused_with_a_reason(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    with translation.override("en"), pytest.raises(ImportRefused) as empty:
        contact_imports.start(program, io.BytesIO(b""), "empty.csv", actor=ACTOR)
    assert "empty" in empty.value.message
    monkeypatch.setattr(contact_imports, "MAX_ROWS", 2)
    with pytest.raises(ImportRefused):
        contact_imports.start(program, csv_file(["a@x.com;A;A"] * 3), "big.csv", actor=ACTOR)
    assert not ContactImport.objects.exists()

    contact_import = contact_imports.start(program, csv_file(["a@x.com;A;A"]), "c.csv", actor=ACTOR)
    with pytest.raises(ImportRefused):  # neither email nor external id
        contact_imports.set_mapping(contact_import, {"Prénom": "first_name"}, actor=ACTOR)
    contact_import.refresh_from_db()
    assert contact_import.mapping == MAPPING


@override_settings(PARRAIN_IMPORT_BATCH=2)
def test_rows_from_a_shop_are_one_import_record_with_counts(program: Program) -> None:
    ContactFactory(program=program, email="known@example.com", first_name="Known")
    rows = [
        ContactRow(row=n, email=f"shop{n}@example.com", external_id=f"user-{n}", first_name="S")
        for n in range(5)
    ] + [ContactRow(row=9, email="known@example.com", first_name="Known")]

    contact_import, result = contact_imports.import_rows(
        program, rows, source=ImportSource.OSCAR, actor="oscar-import"
    )

    assert (result.new, result.updated, result.unchanged) == (5, 0, 1)
    assert contact_import.status == ImportStatus.DONE and contact_import.source == "oscar"
    assert (contact_import.rows_done, contact_import.total_rows) == (6, 6)
    assert contact_import.new_count == 5
    again, result = contact_imports.import_rows(
        program, rows, source=ImportSource.OSCAR, actor="oscar-import"
    )
    assert (result.new, result.unchanged) == (0, 6)
    assert ContactImport.objects.filter(status=ImportStatus.DONE).count() == 2


def test_an_interrupted_shop_import_frees_the_slot_after_ten_minutes(program: Program) -> None:
    contact_import, _result = contact_imports.import_rows(
        program, [ContactRow(row=1, email="s@example.com")], source="oscar", actor="x"
    )
    ContactImport.objects.filter(pk=contact_import.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=11)
    )

    assert contact_imports.resume_orphaned() == []

    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.FAILED and contact_import.failure
    assert contact_imports.check(upload(program, ["b@example.com;B;B"]), actor=ACTOR)


def test_shop_rows_wait_while_a_file_import_runs(program: Program) -> None:
    contact_imports.confirm(upload(program, ["a@example.com;Ana;A"]), actor=ACTOR)
    with pytest.raises(ImportBusy):
        contact_imports.import_rows(
            program, [ContactRow(row=1, email="s@example.com")], source="oscar", actor="x"
        )
    assert not Contact.objects.exists()


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "contacts"


@pytest.mark.parametrize(
    ("name", "new", "invalid"),
    [("excel_customers.xlsx", 4, 0), ("latin1_semicolon.csv", 3, 0), ("bad_rows.csv", 180, 20)],
)
def test_the_fixture_files_go_through_with_their_guessed_mapping(
    program: Program, django_capture_on_commit_callbacks, name: str, new: int, invalid: int
) -> None:
    with (FIXTURES / name).open("rb") as handle:
        contact_import = contact_imports.start(program, handle, name, actor=ACTOR)
    contact_import = contact_imports.check(contact_import, actor=ACTOR)
    assert contact_import.dry_run == {"new": new, "updated": 0, "unchanged": 0, "invalid": invalid}

    done = confirm_and_run(contact_import, django_capture_on_commit_callbacks)

    assert (done.status, done.new_count, done.invalid_count) == (ImportStatus.DONE, new, invalid)
    assert Contact.objects.filter(program=program).count() == new
    assert len(error_rows(done)) == invalid if invalid else not done.error_file


def test_an_xlsx_upload_reads_the_declared_size_not_every_row(
    program: Program, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from parrain.core.importing import files

    def no_count(*_args: object) -> int:
        raise AssertionError("an XLSX file is not counted at upload")

    monkeypatch.setattr(files, "count_rows", no_count)
    with (FIXTURES / "excel_customers.xlsx").open("rb") as handle:
        contact_import = contact_imports.start(program, handle, "c.xlsx", actor=ACTOR)
    assert contact_import.total_rows == 5  # its <dimension>: the blank row 5 included

    done = confirm_and_run(contact_import, django_capture_on_commit_callbacks)

    assert (done.rows_done, done.total_rows, done.new_count) == (4, 4, 4)  # counted as read


def test_the_api_sending_the_same_consent_again_records_it_once(program: Program) -> None:
    from parrain.core.models import ConsentRecord

    _, key = program.create_api_key("tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/programs/{program.slug}/contacts/bulk"
    body = {"rows": [{"email": "zoe@example.com", "consent_recontact": True}]}

    for _attempt in range(2):
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 200
    given_at = Contact.objects.get().consent_at
    assert ConsentRecord.objects.filter(contact__email="zoe@example.com").count() == 1

    body["rows"][0]["consent_recontact"] = False  # a withdrawal is recorded
    client.post(url, json.dumps(body), content_type="application/json")
    zoe = Contact.objects.get()
    assert zoe.consent_recontact is False and zoe.consent_at > given_at
    assert ConsentRecord.objects.filter(contact=zoe).count() == 2


def test_the_api_answers_each_row_with_its_contact_from_one_lookup(program: Program) -> None:
    known = ContactFactory(program=program, email="ana@example.com", external_id="C1")
    _, key = program.create_api_key("tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/programs/{program.slug}/contacts/bulk"
    rows = [
        {"email": "ana@example.com", "first_name": "Ana"},
        {"email": "bob@example.com", "external_id": "C1"},  # Ana's external id
        {"email": "cleo@example.com", "external_id": "C2"},
    ]

    answer = client.post(url, json.dumps({"rows": rows}), content_type="application/json").json()

    ana, bob, cleo = answer["results"]
    cleo_id = Contact.objects.get(email_normalized="cleo@example.com").pk
    assert (ana["status"], ana["id"]) == ("updated", known.pk)
    assert bob["status"] == "error" and bob["errors"][0]["field"] == "external_id"
    assert (cleo["status"], cleo["id"]) == ("created", cleo_id)
    assert not Contact.objects.filter(email_normalized="bob@example.com").exists()


def test_the_collector_is_handed_back_by_the_outermost_import_only() -> None:
    """The bulk API keeps the collector off its whole request, its import inside."""
    with contact_imports.collector_spared():
        with contact_imports.collector_spared():
            pass
        assert gc.get_freeze_count() > 0  # the inner one left it off
    assert gc.get_freeze_count() == 0


def test_a_bulk_request_body_is_not_kept_once_enough_rows_went_through(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The freeze hands the request (a reference cycle holding its body) to the oldest
    generation: without a full collection now and then, a process answering 10,000-row
    requests kept every body (421 MB peak for 200,000 rows in ``bench/imports.py``)."""
    import weakref

    monkeypatch.setattr(contact_imports, "COLLECT_AFTER_ROWS", 3)
    monkeypatch.setattr(contact_imports._Spared, "rows", 0)
    _, key = program.create_api_key("tests")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/programs/{program.slug}/contacts/bulk"

    def send(first: int) -> weakref.ref:
        rows = [{"email": f"c{first + i}@example.com"} for i in range(2)]
        response = client.post(url, json.dumps({"rows": rows}), content_type="application/json")
        assert response.status_code == 200
        return weakref.ref(response.wsgi_request)

    gc.disable()  # no collection by chance in between: only the import's own
    try:
        first = send(0)  # 2 rows: no collection yet
        assert first() is not None  # kept by its cycle, handed to the oldest generation
        send(2)  # 4 rows in all: the outermost import collects
        assert first() is None
    finally:
        gc.enable()
    assert contact_imports._Spared.rows == 0
    assert Contact.objects.filter(program=program).count() == 4
