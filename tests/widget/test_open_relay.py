"""Issue 10, point 1: the public API is not an open mail relay with attacker-written text.

Each test plays the attack from outside, through HTTP, as the attacker would.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from parrain.core.identity import sign_identity
from parrain.core.messaging import MessageKind, templates, variables
from parrain.core.models import (
    AuditEvent,
    Contact,
    HeldInvitation,
    Invitation,
    Program,
    Referral,
)
from parrain.core.models.choices import MessageChannel
from parrain.core.services.confirmation import release_waiting
from parrain.core.services.enrolment import enrol_referrer
from tests.api.conftest import ApiClient, assert_problem
from tests.widget.conftest import Widget

PHISHING_NAMES = [
    "Alice\nSubject: Your account is locked",
    "Alice\r\nBcc: victim@example.com",
    "Alice\u202eecilA",
    "Alice, see http://evil.example/login",
    "Alice www.evil.example",
    "Alice evil.com/x",
]


def _open_anonymous_invitations(program: Program, budget: int = 100) -> None:
    program.anonymous_invitations = True
    program.anonymous_invitation_budget = budget
    program.save()


def _anonymous_referrer(widget: Widget, email: str, **extra: Any) -> dict[str, Any]:
    body = widget.post("/referrers", {"email": email, **extra}).json()
    assert body["delivery"] == "screen", body
    return body


def _confirm_link(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/parrain/confirm/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def api(program: Program) -> ApiClient:
    _, key = program.create_api_key("tests")
    return ApiClient(program=program, key=key, client=Client())


# Names


@pytest.mark.parametrize("name", PHISHING_NAMES)
def test_widget_refuses_names_with_line_breaks_or_web_addresses(
    widget: Widget, program: Program, name: str
) -> None:
    response = widget.post(
        "/referrers",
        {"email": "mallory@example.com", "first_name": name},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = assert_problem(response, 422, "first_name")
    message = next(e["message"] for e in body["errors"] if e["field"] == "first_name")
    assert message.startswith("A name cannot contain")
    claim = {"code": "ABCD1234", "email": "m@example.com", "consent": True, "first_name": name}
    assert_problem(widget.post("/claims", claim), 422, "first_name")
    assert not Contact.objects.filter(program=program).exists()


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_server_api_and_bulk_imports_refuse_names_that_are_not_names(
    api: ApiClient, program: Program, field: str
) -> None:
    bad = {"email": "bob@example.com", field: "Bob http://evil.example"}
    assert_problem(api.call("put", "/contacts", bad), 422, field)
    bulk = api.call("post", "/contacts/bulk", {"rows": [bad]}).json()
    assert bulk["failed"] == 1 and bulk["results"][0]["errors"][0]["field"] == field
    assert_problem(
        api.call("post", "/referrers", {"email": "b@example.com", "first_name": "evil.com/x"}),
        422,
        "first_name",
    )
    assert not Contact.objects.filter(program=program).exists()


def test_ordinary_names_still_pass(widget: Widget) -> None:
    for n, name in enumerate(["Jean-Pierre", "Zoë", "J. R. R.", "O'Brien", "Mr. Smith", "李"]):
        response = widget.post("/referrers", {"email": f"p{n}@example.com", "first_name": name})
        assert response.status_code == 200, (name, response.content)


def test_no_message_puts_a_person_s_name_in_its_subject(program: Program) -> None:
    names = {name: "Zorro" for name in variables.PERSON_NAMES}
    for kind in MessageKind:
        for language in ("fr", "en"):
            values = {**variables.example_context(program, kind, language), **names}
            resolved = templates.template_for(program, kind, MessageChannel.EMAIL, language)
            message = templates.build(
                program,
                MessageChannel.EMAIL,
                language,
                resolved,
                values,
                to="r@example.com",
                unsubscribe_link="https://s/u/",
            )
            assert "Zorro" not in message.subject, (kind, language, message.subject)


def test_a_stored_name_that_is_a_web_address_never_reaches_an_invitation(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    # Given a referrer whose name was stored before names were checked
    referrer = enrol_referrer(program, "alice@example.com", vouched=True).contact
    Contact.objects.filter(pk=referrer.pk).update(
        first_name="Go to evil.example/win", share_name="Go to evil.example/win"
    )
    token = sign_identity(program, "alice@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        widget.post("/invitations", {"identity": token, "emails": ["bob@example.com"]})
    (message,) = mail.outbox
    assert "evil" not in message.subject and "evil" not in message.body
    assert "Someone you know" in message.body or "Un de vos proches" in message.body


# Anonymous invitations


def test_new_programs_refuse_anonymous_invitations_but_still_give_the_link(
    widget: Widget, program: Program
) -> None:
    assert program.anonymous_invitations is False
    assert widget.get("/config").json()["anonymous_invitations"] is False
    enrolment = _anonymous_referrer(widget, "mallory@example.com")
    assert enrolment["share_url"].endswith(enrolment["code"])
    payload = {
        "code": enrolment["code"],
        "email": "mallory@example.com",
        "emails": ["victim@example.com"],
    }
    body = assert_problem(widget.post("/invitations", payload), 403, "identity")
    assert body["type"] == "urn:parrain:problem:anonymous-invitations-off"
    assert not HeldInvitation.objects.exists() and not Invitation.objects.exists()
    assert not mail.outbox


def test_anonymous_invitations_leave_only_once_the_referrer_confirms(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    _open_anonymous_invitations(program)
    assert widget.get("/config").json()["anonymous_invitations"] is True
    enrolment = _anonymous_referrer(widget, "alice@example.com", first_name="Alice")
    base = {"code": enrolment["code"], "email": "alice@example.com"}

    # When the unconfirmed referrer asks for invitations, twice
    with django_capture_on_commit_callbacks(execute=True):
        first = widget.post("/invitations", {**base, "emails": ["bob@example.com"]})
        again = widget.post(
            "/invitations", {**base, "emails": ["bob@example.com", "carol@example.com"]}
        )
    # Then nothing goes to the friends and nothing is stored as an invitation
    assert first.json() == {"received": 1, "delivery": "held"}
    assert again.json() == {"received": 2, "delivery": "held"}
    assert not Invitation.objects.exists() and not Referral.objects.exists()
    assert HeldInvitation.objects.count() == 2
    # and the referrer got one email (not two), with their link and a confirmation link
    (confirmation,) = mail.outbox
    assert confirmation.to == ["alice@example.com"]
    assert "Alice" not in confirmation.subject
    assert enrolment["share_url"] in confirmation.body
    link = _confirm_link(confirmation)

    # A mail scanner following the link confirms nothing
    page = Client().get(link)
    assert page.status_code == 200 and enrolment["share_url"] in page.content.decode()
    assert not Invitation.objects.exists()
    assert Contact.objects.get(email="alice@example.com").email_verified_at is None

    # When the referrer confirms, the held invitations leave, once
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = Client().post(link)
        Client().post(link)
    assert done.status_code == 200 and "2 invitations ont été envoyées" in done.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.com", "carol@example.com"]
    assert Invitation.objects.count() == 2 and not HeldInvitation.objects.exists()
    assert Contact.objects.get(email="alice@example.com").is_verified
    assert AuditEvent.objects.filter(action="contact.email_confirmed").count() == 1

    # And, confirmed, the referrer's next invitations leave at once
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = widget.post("/invitations", {**base, "emails": ["dan@example.com"]})
    assert sent.json() == {"received": 1, "delivery": "sent"}
    assert [m.to for m in mail.outbox] == [["dan@example.com"]]


def test_confirmation_emails_go_at_most_once_an_hour(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    _open_anonymous_invitations(program)
    code = _anonymous_referrer(widget, "alice@example.com", language="en")["code"]
    base = {"code": code, "email": "alice@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            widget.post("/invitations", {**base, "emails": [f"f{n}@example.com"]})
    assert len(mail.outbox) == 1
    Contact.objects.filter(email="alice@example.com").update(
        confirmation_sent_at=Contact.objects.get(email="alice@example.com").confirmation_sent_at
        - timedelta(minutes=61)
    )
    with django_capture_on_commit_callbacks(execute=True):
        widget.post("/invitations", {**base, "emails": ["f9@example.com"]})
    assert len(mail.outbox) == 2 and "4 friends" in mail.outbox[1].body


def test_forged_or_expired_confirmation_links_are_refused(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    _open_anonymous_invitations(program)
    code = _anonymous_referrer(widget, "alice@example.com")["code"]
    payload = {"code": code, "email": "alice@example.com", "emails": ["bob@example.com"]}
    with django_capture_on_commit_callbacks(execute=True):
        widget.post("/invitations", payload)
    link = _confirm_link(mail.outbox[0])
    assert Client().post(link[:-6] + "AAAAA/").status_code == 404
    later = __import__("time").time() + 3 * 24 * 3600 + 60
    with mock.patch("django.core.signing.time.time", lambda: later):
        assert Client().post(link).status_code == 404
    assert not Invitation.objects.exists()
    assert Contact.objects.get(email="alice@example.com").email_verified_at is None


def test_daily_budget_holds_the_rest_and_tells_the_managers_once(
    widget: Widget,
    program: Program,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MANAGERS = [("Shop owner", "owner@shop.example")]
    _open_anonymous_invitations(program, budget=2)
    links = []
    for n in range(3):
        code = _anonymous_referrer(widget, f"r{n}@example.com")["code"]
        payload = {
            "code": code,
            "email": f"r{n}@example.com",
            "emails": [f"f{n}a@example.com", f"f{n}b@example.com"],
        }
        with django_capture_on_commit_callbacks(execute=True):
            widget.post("/invitations", payload)
        links.append(_confirm_link(mail.outbox[-1]))
    mail.outbox.clear()

    # The first confirmed referrer uses up the day's budget; the next ones wait
    with django_capture_on_commit_callbacks(execute=True):
        first = Client().post(links[0])
        second = Client().post(links[1])
        third = Client().post(links[2])
    assert "2 invitations ont été envoyées" in first.content.decode()
    assert "2 invitations partiront demain" in second.content.decode()
    assert "2 invitations partiront demain" in third.content.decode()
    friends = [m for m in mail.outbox if m.to != ["owner@shop.example"]]
    told = [m for m in mail.outbox if m.to == ["owner@shop.example"]]
    assert sorted(m.to[0] for m in friends) == ["f0a@example.com", "f0b@example.com"]
    assert len(told) == 1 and "budget" in told[0].subject
    assert AuditEvent.objects.filter(action="invitation.budget_reached").count() == 1
    assert Invitation.objects.count() == 2 and HeldInvitation.objects.count() == 4

    # The program's admin page says so
    admin = get_user_model().objects.create_superuser("boss", "boss@shop.example", "pw")
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin)
    page = client.get(f"/admin/parrain/program/{program.pk}/change/").content.decode()
    assert "budget of 2 invitation emails from unconfirmed referrers is reached" in page

    # The next day, the scheduled release sends what waited, within that day's budget
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = release_waiting(at=timezone.now() + timedelta(days=1))
    assert sent == 2 and HeldInvitation.objects.count() == 2
    assert len([m for m in mail.outbox if m.to == ["owner@shop.example"]]) == 1
