"""Regular imports (issue 14): a file fetched from a URL on a schedule, through the SSRF
guard, imported by the one import service, and the report emailed.

The shop's file server is a real HTTP server on loopback (the guard is told to allow
loopback, as the demo does); the SSRF test turns the guard back on and sees it refuse."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core import mail
from django.core.checks import run_checks
from django.utils import timezone, translation

from parrain.core import http_guard
from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Contact, ContactImport, ImportSchedule, Program
from parrain.core.models.choices import ImportSource, ImportStatus
from parrain.core.services import import_reports, import_schedules
from parrain.core.tasks import run_import_schedules

pytestmark = pytest.mark.django_db

CSV = (
    "E-mail;Prénom;Nom\r\nana@example.com;Ana;Lopez\r\nbob@example.com;Bob;Martin\r\n"
    "not-an-email;Eve;Nope\r\n"
).encode("cp1252")
MAPPING = {"E-mail": "email", "Prénom": "first_name", "Nom": "last_name"}


@dataclass
class FileServer:
    """The shop's server: ``/clients.csv`` (open), ``/private/clients.csv`` (basic auth
    ``shop`` / ``s3cret``), anything else 404. Records the requests' Authorization."""

    url: str = ""
    body: bytes = CSV
    seen_auth: list[str] = field(default_factory=list)


def _handler(state: FileServer) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(b"shop:s3cret").decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            auth = self.headers.get("Authorization", "")
            state.seen_auth.append(auth)
            if self.path == "/private/clients.csv" and auth != expected:
                self._answer(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="shop"'})
            elif self.path in ("/clients.csv", "/private/clients.csv"):
                self._answer(200, state.body, {"Content-Type": "text/csv"})
            else:
                self._answer(404, b"not here", {})

        def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[FileServer]:
    state = FileServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    with serving() as state:
        yield state


@dataclass
class Certificate:
    pem: str
    server: ssl.SSLContext


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (no public CA knows it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    (tmp_path / "cert.pem").write_text(pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return Certificate(pem, server)


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    """The demo's switch: the shop's server is on this machine."""
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def program() -> Program:
    return ProgramFactory(name="Maison", languages=["fr", "en"], default_language="fr")


def schedule_for(program: Program, url: str, **fields: Any) -> ImportSchedule:
    values = {"mapping": MAPPING, "notify_email": "owner@shop.example", **fields}
    return ImportSchedule.objects.create(program=program, url=url, **values)


def run_now(schedule: ImportSchedule, capture: Any) -> ContactImport:
    """Run now; the import task queued on commit runs eagerly, as the tests' Celery does
    (English still active then: the report reads in English)."""
    with translation.override("en"), capture(execute=True):
        contact_import = import_schedules.run_now(schedule, actor="admin:owner")
    contact_import.refresh_from_db()
    schedule.refresh_from_db()
    return contact_import


def test_run_now_fetches_the_file_imports_it_and_emails_the_report(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks
):
    # Given a schedule on the shop's file, run every 24 hours
    schedule = schedule_for(program, f"{file_server.url}/clients.csv", every_hours=24)
    before = timezone.now()

    # When it runs now
    contact_import = run_now(schedule, django_capture_on_commit_callbacks)

    # Then the valid rows are contacts, the invalid one is counted, nothing asked to confirm
    assert contact_import.source == ImportSource.URL
    assert contact_import.schedule == schedule
    assert contact_import.status == ImportStatus.DONE
    assert (contact_import.new_count, contact_import.invalid_count) == (2, 1)
    assert set(Contact.objects.filter(program=program).values_list("email", flat=True)) == {
        "ana@example.com",
        "bob@example.com",
    }
    # the schedule moved on
    assert schedule.last_error == ""
    assert schedule.last_run_at >= before
    assert schedule.next_run_at - schedule.last_run_at == timedelta(hours=24)
    # and the owner got the report, in English here
    [report] = mail.outbox
    assert report.to == ["owner@shop.example"]
    assert report.subject == "Regular import for Maison: done"
    assert "New contacts: 2" in report.body
    assert "Updated contacts: 0" in report.body
    assert "Unchanged contacts: 0" in report.body
    assert "Invalid rows (skipped): 1" in report.body
    assert "Row 4, column “E-mail”" in report.body
    assert "https://shop.example/admin/parrain/" in report.body
    # audited
    actions = set(AuditEvent.objects.filter(program=program).values_list("action", flat=True))
    assert {"import_schedule.fetched", "contacts.imported"} <= actions


def test_the_same_file_again_leaves_the_contacts_unchanged(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks
):
    schedule = schedule_for(program, f"{file_server.url}/clients.csv")
    run_now(schedule, django_capture_on_commit_callbacks)

    second = run_now(schedule, django_capture_on_commit_callbacks)

    assert (second.new_count, second.updated_count, second.unchanged_count) == (0, 0, 2)
    assert Contact.objects.filter(program=program).count() == 2


def test_basic_auth_is_sent_and_a_wrong_password_is_reported(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks
):
    url = f"{file_server.url}/private/clients.csv"
    good = schedule_for(program, url, username="shop", password="s3cret")
    assert run_now(good, django_capture_on_commit_callbacks).status == ImportStatus.DONE
    assert file_server.seen_auth[-1].startswith("Basic ")

    # A wrong password: 401, nothing imported, the reason in last_error and in the report
    ImportSchedule.objects.filter(pk=good.pk).update(password="wrong")
    good.refresh_from_db()
    mail.outbox.clear()
    Contact.objects.all().delete()

    failed = run_now(good, django_capture_on_commit_callbacks)

    assert failed.status == ImportStatus.FAILED
    assert "HTTP 401" in failed.failure
    assert "HTTP 401" in good.last_error
    assert not Contact.objects.exists()
    [report] = mail.outbox
    assert report.subject == "Regular import for Maison: failed"
    assert "Nothing was imported." in report.body
    assert "user name or password" in report.body
    assert AuditEvent.objects.filter(action="import_schedule.failed").exists()


def test_a_missing_file_is_reported(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks
):
    schedule = schedule_for(program, f"{file_server.url}/gone.csv")

    failed = run_now(schedule, django_capture_on_commit_callbacks)

    assert failed.status == ImportStatus.FAILED
    assert schedule.last_error == "No file at this address (HTTP 404)."
    assert not Contact.objects.exists()


def test_a_file_over_the_size_cap_is_refused(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(import_schedules, "MAX_BYTES", 20)
    schedule = schedule_for(program, f"{file_server.url}/clients.csv")

    failed = run_now(schedule, django_capture_on_commit_callbacks)

    assert failed.status == ImportStatus.FAILED
    assert "larger than" in schedule.last_error
    assert not Contact.objects.exists()


def test_the_guard_refuses_a_private_address(
    program, file_server, settings, django_capture_on_commit_callbacks
):
    # Given the guard on (production): loopback and private networks are refused
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = False
    schedule = schedule_for(program, file_server.url.replace("http:", "https:") + "/clients.csv")

    failed = run_now(schedule, django_capture_on_commit_callbacks)

    assert failed.status == ImportStatus.FAILED
    assert "private or loopback" in schedule.last_error
    assert file_server.seen_auth == []  # never reached
    assert not Contact.objects.exists()


def test_plain_http_is_refused_when_the_guard_is_on(
    program, settings, django_capture_on_commit_callbacks
):
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = False
    schedule = schedule_for(program, "http://files.example.com/clients.csv")

    failed = run_now(schedule, django_capture_on_commit_callbacks)

    assert schedule.last_error == "Only HTTPS addresses are accepted."
    assert failed.status == ImportStatus.FAILED


def test_only_due_schedules_run_and_their_next_run_moves(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks
):
    now = timezone.now()
    due = schedule_for(program, f"{file_server.url}/clients.csv", next_run_at=now, every_hours=6)
    other = ProgramFactory()
    later = schedule_for(other, f"{file_server.url}/clients.csv", next_run_at=now + timedelta(1))
    paused = schedule_for(
        ProgramFactory(), f"{file_server.url}/clients.csv", next_run_at=now, is_active=False
    )

    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        assert run_import_schedules.delay().get() == 1

    due.refresh_from_db()
    later.refresh_from_db()
    paused.refresh_from_db()
    assert due.last_run_at is not None
    assert due.next_run_at - due.last_run_at == timedelta(hours=6)
    assert later.last_run_at is None and paused.last_run_at is None
    assert ContactImport.objects.filter(schedule=due, status=ImportStatus.DONE).count() == 1
    # Run again at once: nothing is due any more
    assert import_schedules.run_due() == 0


def test_report_goes_to_nobody_without_a_notify_email(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks
):
    schedule = schedule_for(program, f"{file_server.url}/gone.csv", notify_email="")

    run_now(schedule, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert schedule.last_error


def test_without_a_notify_email_the_report_goes_to_the_programs_owner(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks
):
    program.owner_email = "owner@maison.example"
    program.save(update_fields=["owner_email"])
    schedule = schedule_for(program, f"{file_server.url}/gone.csv", notify_email="")

    run_now(schedule, django_capture_on_commit_callbacks)

    [report] = mail.outbox
    assert report.to == ["owner@maison.example"]
    schedule.notify_email = "crm@maison.example"  # the schedule's own address wins
    assert import_reports.recipient(schedule) == "crm@maison.example"


def test_https_with_a_certificate_nobody_vouches_for_is_refused(
    program, certificate, allow_loopback, django_capture_on_commit_callbacks
):
    with serving(certificate.server) as server:
        schedule = schedule_for(program, f"{server.url}/clients.csv")

        failed = run_now(schedule, django_capture_on_commit_callbacks)

    assert failed.status == ImportStatus.FAILED
    assert schedule.last_error == "The server's HTTPS certificate could not be verified."
    assert not Contact.objects.exists()


def test_https_with_a_trusted_certificate_imports(
    program, certificate, allow_loopback, django_capture_on_commit_callbacks, monkeypatch
):
    trusted = ssl.create_default_context(cadata=certificate.pem)
    monkeypatch.setattr(http_guard, "tls_context", lambda: trusted)
    with serving(certificate.server) as server:
        schedule = schedule_for(
            program, f"{server.url}/private/clients.csv", username="shop", password="s3cret"
        )

        done = run_now(schedule, django_capture_on_commit_callbacks)

    assert done.status == ImportStatus.DONE
    assert done.new_count == 2


def test_a_new_frequency_moves_the_next_run_from_the_last_one(program):
    from parrain.core.forms.import_schedule import ImportScheduleForm

    last = timezone.now() - timedelta(hours=2)
    schedule = schedule_for(
        program,
        "https://files.shop.example/clients.csv",
        last_run_at=last,
        next_run_at=last + timedelta(hours=24),
    )
    data = {"url": schedule.url, "every_hours": "6", "is_active": "on"}

    ImportScheduleForm(data, program=program, instance=schedule).save(actor="admin:owner")

    schedule.refresh_from_db()
    assert schedule.next_run_at == last + timedelta(hours=6)


def test_system_check_warns_when_private_targets_are_allowed_outside_debug(settings):
    settings.DEBUG = False
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = True
    assert "parrain.W030" in {message.id for message in run_checks()}
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = False
    assert "parrain.W030" not in {message.id for message in run_checks()}


def test_a_run_while_another_import_holds_the_slot_is_tried_again_soon(
    program, file_server, allow_loopback, django_capture_on_commit_callbacks
):
    # Given a manual import of the program still running
    ContactImport.objects.create(program=program, status=ImportStatus.RUNNING)
    schedule = schedule_for(program, f"{file_server.url}/clients.csv", every_hours=24)

    given_up = run_now(schedule, django_capture_on_commit_callbacks)

    # Then nothing is imported, the reason is kept, and the next try is in 15 minutes
    assert given_up.status == ImportStatus.CANCELLED
    assert "Another import" in schedule.last_error
    assert schedule.next_run_at - schedule.last_run_at < timedelta(minutes=16)
    assert not Contact.objects.exists()
    assert "Another import" in mail.outbox[0].body
