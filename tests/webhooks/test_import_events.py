"""Outbound ``contacts.imported``: one event when an import ends (file, server API bulk),
with its counts and no person in it; none for a dry run, a cancelled import, or an
endpoint that did not ask for it."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from parrain.core.models import ContactImport, Program
from parrain.core.models.choices import ImportStatus
from parrain.core.services import contact_imports
from parrain.plugins.generic_webhook.models import OutboundEndpoint, OutboundMessage

pytestmark = pytest.mark.django_db

MAPPING = {"E-mail": "email", "Prénom": "first_name"}


def upload(program: Program, lines: list[str]) -> ContactImport:
    body = "\r\n".join(["E-mail;Prénom", *lines, ""]).encode("utf-8")
    contact_import = contact_imports.start(program, io.BytesIO(body), "clients.csv", actor="t")
    return contact_imports.set_mapping(contact_import, MAPPING, actor="t")


def events() -> list[dict]:
    found = OutboundMessage.objects.filter(event_type="contacts.imported").order_by("pk")
    return [m.payload["data"] for m in found]


def test_a_finished_file_import_is_one_event_with_its_counts(
    program: Program, django_capture_on_commit_callbacks
) -> None:
    OutboundEndpoint.objects.create(program=program, url="https://hooks.shop.example/parrain")
    contact_import = upload(program, ["ana@example.com;Ana", "bad-address;Bob", "cy@example.com;"])

    contact_import = contact_imports.check(contact_import, actor="t")
    assert events() == []  # a dry run writes nothing, says nothing

    with django_capture_on_commit_callbacks(execute=True):
        contact_imports.confirm(contact_import, actor="t")

    [data] = events()
    contact_import.refresh_from_db()
    assert contact_import.status == ImportStatus.DONE
    assert data == {
        "id": contact_import.pk,
        "program": program.slug,
        "source": "file",
        "file_name": "clients.csv",
        "status": "done",
        "rows": 3,
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "invalid": 1,
        "invalid_rows_file": True,
        "started_at": contact_import.started_at.isoformat(),
        "finished_at": contact_import.finished_at.isoformat(),
    }
    assert "ana@example.com" not in str(data) and "Ana" not in str(data)


def test_a_bulk_api_request_is_one_event(program: Program) -> None:
    OutboundEndpoint.objects.create(program=program, url="https://hooks.shop.example/parrain")
    _, key = program.create_api_key("tests")
    rows = [{"email": f"c{n}@example.com"} for n in range(3)]
    response = Client().post(
        f"/api/v1/programs/{program.slug}/contacts/bulk",
        {"rows": rows},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content

    [data] = events()
    assert (data["source"], data["new"], data["id"]) == ("api", 3, response.json()["import_id"])


def test_a_cancelled_import_or_an_endpoint_that_did_not_ask_gets_nothing(
    program: Program, django_capture_on_commit_callbacks
) -> None:
    OutboundEndpoint.objects.create(
        program=program, url="https://hooks.shop.example/a", event_types=["reward.issued"]
    )
    contact_import = upload(program, ["ana@example.com;Ana"])
    with django_capture_on_commit_callbacks(execute=True):
        contact_imports.cancel(contact_import, actor="t")
    done = upload(program, ["bo@example.com;Bo"])
    with django_capture_on_commit_callbacks(execute=True):
        contact_imports.confirm(done, actor="t")

    assert ContactImport.objects.get(pk=done.pk).status == ImportStatus.DONE
    assert events() == []
