"""Contact imports over HTTP: upload, mapping, dry run, confirm, progress, invalid rows,
cancel, retry, and the regular import, with a program key or an account key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from parrain.core.models import AccountKey, AuditEvent, Contact, ContactImport, ImportSchedule
from parrain.core.models.choices import ImportStatus

from .conftest import assert_problem

pytestmark = pytest.mark.django_db

CSV = "\r\n".join(
    [
        "E-mail;Prénom;Nom",
        "ana@example.com;Ana;Lopez",
        "bob@example.com;Bob;Martin",
        "not-an-email;Carl;Petit",
        "",
    ]
)


class Imports:
    """``/api/v1/programs/<slug>/…`` with a key: JSON calls and file uploads."""

    def __init__(self, program: Any, key: str) -> None:
        self.program, self.key, self.client = program, key, Client()

    def url(self, path: str) -> str:
        return f"/api/v1/programs/{self.program.slug}{path}"

    def auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body)
        return getattr(self.client, method)(
            self.url(path), data=data, content_type="application/json", **self.auth()
        )

    def upload(self, content: bytes | str = CSV, name: str = "clients.csv") -> Any:
        raw = content.encode("cp1252") if isinstance(content, str) else content
        upload = SimpleUploadedFile(name, raw, content_type="text/csv")
        return self.client.post(self.url("/imports"), {"file": upload}, **self.auth())


@pytest.fixture
def account(program) -> Imports:
    _key, clear = AccountKey.create("agency")
    return Imports(program, clear)


@pytest.fixture
def server(program, api) -> Imports:
    return Imports(program, api.key)


def test_the_whole_walk_with_an_account_key(account, django_capture_on_commit_callbacks) -> None:
    uploaded = account.upload()
    assert uploaded.status_code == 201, uploaded.content
    item = uploaded.json()
    assert item["status"] == "uploaded" and item["headers"] == ["E-mail", "Prénom", "Nom"]
    assert item["total_rows"] == 3 and item["actor"].startswith("api:mk_")
    path = f"/imports/{item['id']}"

    mapping = account.call("get", f"{path}/mapping").json()
    guessed = {column["header"]: column["field"] for column in mapping["columns"]}
    assert guessed == {"E-mail": "email", "Prénom": "first_name", "Nom": "last_name"}
    assert mapping["columns"][0]["samples"] == [
        "ana@example.com",
        "bob@example.com",
        "not-an-email",
    ]
    assert "phone" in [field["key"] for field in mapping["fields"]]

    chosen = {"E-mail": "email", "Prénom": "first_name", "Nom": ""}
    put = account.call("put", f"{path}/mapping", {"mapping": chosen})
    assert put.status_code == 200 and put.json()["mapping"] == chosen

    checked = account.call("post", f"{path}/dry-run").json()
    assert checked["status"] == "checked"
    assert checked["dry_run"] == {"new": 2, "updated": 0, "unchanged": 0, "invalid": 1}
    assert checked["errors"][0]["row"] == 4 and checked["errors"][0]["column"] == "E-mail"
    assert checked["has_error_file"] is True and not Contact.objects.exists()

    invalid = account.client.get(account.url(f"{path}/errors"), **account.auth())
    assert invalid.status_code == 200 and invalid["Content-Type"].startswith("text/csv")
    assert "not-an-email" in b"".join(invalid.streaming_content).decode("utf-8-sig")

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = account.call("post", f"{path}/confirm")
    assert confirmed.status_code == 202 and confirmed.json()["status"] == "queued"

    done = account.call("get", path).json()
    assert done["status"] == "done" and done["counts"]["new"] == 2
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == ["Ana", "Bob"]
    progress = account.call("get", f"{path}/progress").json()
    assert progress["finished"] is True and progress["percent"] == 100
    event = AuditEvent.objects.get(action="contacts.imported")
    assert event.actor == f"api:{account.key[:10]}"
    listed = account.call("get", "/imports").json()
    assert [entry["id"] for entry in listed["items"]] == [item["id"]]


def test_a_second_import_while_one_runs_is_a_409(server, program) -> None:
    waiting = server.upload().json()
    ContactImport.objects.create(program=program, status=ImportStatus.RUNNING)

    assert_problem(server.upload(), 409)
    assert_problem(server.call("post", f"/imports/{waiting['id']}/dry-run"), 409)

    assert ContactImport.objects.get(pk=waiting["id"]).status == ImportStatus.UPLOADED
    assert ContactImport.objects.count() == 2


@pytest.mark.parametrize(
    "content, name",
    [
        (b"%PDF-1.4 not a customer file", "clients.pdf"),
        (b"", "empty.csv"),
        (b"\x00\x01\x02\x03" * 50, "binary.xlsx"),
    ],
)
def test_a_file_that_is_not_a_customer_file_is_a_422_naming_file(server, content, name) -> None:
    assert_problem(server.upload(content, name), 422, "file")
    assert not ContactImport.objects.exists()


def test_a_json_body_instead_of_a_file_is_a_422_naming_file(server) -> None:
    assert_problem(server.call("post", "/imports", {"file": "a,b"}), 422, "file")
    assert not ContactImport.objects.exists()


@pytest.mark.parametrize(
    "mapping, field",
    [
        ({"E-mail": "shoe_size"}, "mapping.E-mail"),
        ({"E-mail": "", "Prénom": "first_name"}, "mapping"),
        ({"Téléphone": "phone", "E-mail": "email"}, "mapping"),
        ({"E-mail": "email", "Nom": "email"}, "mapping"),
    ],
)
def test_a_bad_mapping_is_a_422_and_keeps_the_stored_one(server, mapping, field) -> None:
    item = server.upload().json()

    answer = server.call("put", f"/imports/{item['id']}/mapping", {"mapping": mapping})

    assert_problem(answer, 422, field)
    assert ContactImport.objects.get(pk=item["id"]).mapping == item["mapping"]


def test_cancel_then_retry_is_refused_and_unknown_imports_are_404(server, program) -> None:
    item = server.upload().json()
    path = f"/imports/{item['id']}"

    cancelled = server.call("post", f"{path}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_problem(server.call("post", f"{path}/retry"), 422)
    assert_problem(server.call("post", f"{path}/confirm"), 422)
    assert_problem(server.call("get", "/imports/999999"), 404, "import_id")
    assert_problem(server.client.get(server.url(f"{path}/errors"), **server.auth()), 404)


def test_a_failed_import_is_queued_again_by_retry(
    server, program, django_capture_on_commit_callbacks
) -> None:
    item = server.upload().json()
    ContactImport.objects.filter(pk=item["id"]).update(status=ImportStatus.FAILED, failure="boom")

    with django_capture_on_commit_callbacks(execute=True):
        retried = server.call("post", f"/imports/{item['id']}/retry")

    assert retried.status_code == 202
    assert ContactImport.objects.get(pk=item["id"]).status == ImportStatus.DONE
    assert Contact.objects.count() == 2


# The regular import

SCHEDULE = {
    "url": "https://exports.shop.example/clients.csv",
    "username": "parrain",
    "password": "s3cret-pass",
    "every_hours": 24,
    "mapping": {"Mail": "email", "First": "first_name"},
    "notify_email": "owner@shop.example",
}


def test_the_regular_import_is_created_replaced_run_and_deleted(account, program) -> None:
    created = account.call("put", "/import-schedule", SCHEDULE)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["has_password"] is True and "password" not in body
    assert "s3cret-pass" not in created.content.decode()

    kept = account.call("put", "/import-schedule", {**SCHEDULE, "password": None, "every_hours": 6})
    assert kept.status_code == 200 and kept.json()["every_hours"] == 6
    assert ImportSchedule.objects.get().password == "s3cret-pass"

    cleared = account.call("put", "/import-schedule", {"url": SCHEDULE["url"]})
    assert cleared.json()["has_password"] is False and cleared.json()["mapping"] == {}

    assert account.call("post", "/import-schedule/run").status_code == 202
    actions = AuditEvent.objects.filter(action__startswith="import_schedule.")
    assert {event.actor for event in actions} == {f"api:{account.key[:10]}"}

    assert account.call("delete", "/import-schedule").status_code == 204
    assert_problem(account.call("get", "/import-schedule"), 404)
    assert_problem(account.call("post", "/import-schedule/run"), 404)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"url": "http://exports.shop.example/clients.csv"}, "url"),
        ({"url": "https://user:pw@exports.shop.example/clients.csv"}, "url"),
        ({"every_hours": 5}, "every_hours"),
        ({"mapping": {"Mail": "first_name"}}, "mapping"),
        ({"notify_email": "not-an-address"}, "notify_email"),
    ],
)
def test_a_bad_regular_import_is_a_422_and_keeps_the_stored_one(server, changes, field) -> None:
    server.call("put", "/import-schedule", SCHEDULE)

    assert_problem(server.call("put", "/import-schedule", {**SCHEDULE, **changes}), 422, field)

    stored = ImportSchedule.objects.get()
    assert (stored.url, stored.every_hours, stored.mapping) == (
        SCHEDULE["url"],
        24,
        SCHEDULE["mapping"],
    )
