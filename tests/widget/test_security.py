"""What an attacker tries on the public API: enumeration, floods, other sites, forged tokens."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from django.core import mail

from parrain.core.factories import ProgramFactory
from parrain.core.identity import sign_identity
from parrain.core.models import Contact, Invitation, Program, Referral
from parrain.core.services.enrolment import enrol_referrer
from tests.api.conftest import assert_problem
from tests.widget.conftest import ORIGIN, Widget

# Enumeration


def test_enrolling_a_customer_or_a_referrer_answers_alike(widget: Widget, program: Program) -> None:
    Contact.objects.create(program=program, email="customer@example.com", is_customer=True)
    enrol_referrer(program, "referrer@example.com")
    answers = [
        widget.post("/referrers", {"email": email})
        for email in ("customer@example.com", "referrer@example.com")
    ]
    assert {a.status_code for a in answers} == {200}
    assert answers[0].content == answers[1].content  # a customer looks like any known address


def test_privacy_mode_claims_answer_the_same_for_a_customer_and_a_newcomer(
    widget: Widget, program: Program
) -> None:
    program.privacy_mode = True
    program.save()
    code = enrol_referrer(program, "alice@example.com").code
    Contact.objects.create(program=program, email="customer@example.com", is_customer=True)
    answers = [
        widget.post("/claims", {"code": code, "email": email, "consent": False})
        for email in ("customer@example.com", "newcomer@example.com")
    ]
    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[0].content == answers[1].content
    # the customer got nothing, the newcomer got a referral
    assert not Referral.objects.filter(referee__email="customer@example.com").exists()
    assert Referral.objects.filter(referee__email="newcomer@example.com").exists()


def _open_invitations(program: Program) -> None:
    program.anonymous_invitations = True
    program.save()


def test_invitation_answers_never_say_who_is_a_customer(widget: Widget, program: Program) -> None:
    _open_invitations(program)
    code = enrol_referrer(program, "alice@example.com", vouched=True).code
    Contact.objects.create(program=program, email="customer@example.com", is_customer=True)
    base = {"code": code, "email": "alice@example.com"}
    known = widget.post("/invitations", {**base, "emails": ["customer@example.com"]})
    unknown = widget.post("/invitations", {**base, "emails": ["friend@example.com"]})
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content


# Rate limits


def test_too_many_writes_from_one_ip_get_429_with_retry_after(
    widget: Widget, settings: Any
) -> None:
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"ip_write": (3, 60)}
    clock = [1_800_000_015.0]  # 15 s into a one-minute window
    with mock.patch("parrain.core.api.ratelimit.time.time", lambda: clock[0]):
        for n in range(3):
            assert widget.post("/referrers", {"email": f"p{n}@example.com"}).status_code == 200
        response = widget.post("/referrers", {"email": "p9@example.com"})
        assert_problem(response, 429)
        assert response["Retry-After"] == "45"  # the seconds left in the window
        assert response["Access-Control-Allow-Origin"] == ORIGIN  # the widget can read it
        assert not Contact.objects.filter(email="p9@example.com").exists()
        # another client IP is not affected
        other = widget.post("/referrers", {"email": "p8@example.com"}, REMOTE_ADDR="10.0.0.9")
        assert other.status_code == 200
        # one second early is still refused; waiting what Retry-After said is enough
        clock[0] += 44
        assert widget.post("/referrers", {"email": "p9@example.com"}).status_code == 429
        clock[0] += 1
        assert widget.post("/referrers", {"email": "p9@example.com"}).status_code == 200
    assert Contact.objects.filter(email="p9@example.com").exists()


def test_public_reads_count_against_the_ip_limit_but_the_configuration_does_not(
    widget: Widget, program: Program, settings: Any
) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"ip": (2, 60)}
    qr = f"/codes/{code}/qr.svg"
    assert widget.get(qr).status_code == widget.get(qr).status_code == 200
    response = widget.get(qr)
    assert_problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    # the configuration is read-only and served from memory: pages keep loading
    assert widget.get("/config").status_code == 200


def test_one_referrer_cannot_flood_invitations(
    widget: Widget, program: Program, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"referrer_invite": (2, 3600)}
    # The windows are fixed (aligned on the hour): in the middle of one, the wait is long;
    # at the real clock, a run seconds before the hour rightly answered "retry in 10 s".
    from parrain.core.api import ratelimit

    mid_hour = (time.time() // 3600) * 3600 + 1800
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: mid_hour, sleep=time.sleep))
    _open_invitations(program)
    code = enrol_referrer(program, "alice@example.com", vouched=True).code
    base = {"code": code, "email": "alice@example.com"}
    for n in range(2):
        widget.post(
            "/invitations", {**base, "emails": [f"f{n}@example.com"]}, REMOTE_ADDR=f"10.0.0.{n}"
        )
    response = widget.post(
        "/invitations", {**base, "emails": ["f9@example.com"]}, REMOTE_ADDR="10.0.1.1"
    )
    assert_problem(response, 429)
    assert int(response["Retry-After"]) > 60
    assert Invitation.objects.count() == 2


def test_daily_invitation_cap_answers_429_until_midnight(widget: Widget, program: Program) -> None:
    program.daily_invitation_cap = 2
    program.save()
    _open_invitations(program)
    code = enrol_referrer(program, "alice@example.com", vouched=True).code
    base = {"code": code, "email": "alice@example.com"}
    first = widget.post("/invitations", {**base, "emails": ["a@x.example", "b@x.example"]})
    assert first.status_code == 200
    response = widget.post("/invitations", {**base, "emails": ["c@x.example"]})
    assert_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert Invitation.objects.count() == 2


# No open relay


def test_anonymous_visitors_cannot_add_a_personal_message(widget: Widget, program: Program) -> None:
    _open_invitations(program)
    code = enrol_referrer(program, "alice@example.com", vouched=True).code
    payload = {
        "code": code,
        "email": "alice@example.com",
        "emails": ["bob@example.com"],
        "message": "Click http://spam.example",
    }
    assert_problem(widget.post("/invitations", payload), 403, "message")
    assert not Invitation.objects.exists() and not mail.outbox


def test_anonymous_visitors_invite_a_few_friends_at_most(widget: Widget, program: Program) -> None:
    _open_invitations(program)
    code = enrol_referrer(program, "alice@example.com", vouched=True).code
    emails = [f"f{n}@example.com" for n in range(6)]
    payload = {"code": code, "email": "alice@example.com", "emails": emails}
    assert_problem(widget.post("/invitations", payload), 403, "emails")
    assert not Invitation.objects.exists()


def test_a_share_code_alone_does_not_let_anyone_send_invitations(
    widget: Widget, program: Program
) -> None:
    _open_invitations(program)
    code = enrol_referrer(program, "alice@example.com", vouched=True).code
    payload = {"code": code, "email": "mallory@example.com", "emails": ["bob@example.com"]}
    assert_problem(widget.post("/invitations", payload), 404, "code")
    assert not Invitation.objects.exists()


def test_identified_referrers_may_add_a_personal_message(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    token = sign_identity(program, "alice@example.com", first_name="Alice")
    payload = {"identity": token, "emails": ["bob@example.com"], "message": "Tu vas adorer !"}
    with django_capture_on_commit_callbacks(execute=True):
        assert widget.post("/invitations", payload).status_code == 200
    assert "Tu vas adorer !" in mail.outbox[0].body


# CORS


def test_other_origins_are_refused(widget: Widget) -> None:
    response = widget.get("/config", origin="https://evil.example")
    assert_problem(response, 403)
    # readable by the page (the widget says why), and nothing more
    assert response["Access-Control-Allow-Origin"] == "https://evil.example"
    assert response.json()["type"] == "urn:parrain:problem:origin-not-allowed"
    assert "program" not in response.json()
    preflight = widget.client.options(
        widget.url("/claims"),
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight
    assert_problem(widget.post("/referrers", {"email": "a@example.com"}, origin="null"), 403)
    assert not Contact.objects.exists()


def test_allowed_origin_gets_its_preflight_and_cors_headers(widget: Widget) -> None:
    preflight = widget.client.options(
        widget.url("/claims"),
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    response = widget.get("/config")
    assert response["Access-Control-Allow-Origin"] == ORIGIN and "Origin" in response["Vary"]


def test_origins_of_one_program_do_not_open_another(widget: Widget) -> None:
    other = ProgramFactory(allowed_origins=["https://other-shop.example"])
    response = widget.client.get(f"/api/v1/public/{other.public_key}/config", HTTP_ORIGIN=ORIGIN)
    assert_problem(response, 403)


# Identity tokens


def test_stats_need_a_valid_identity_token(widget: Widget, program: Program) -> None:
    token = sign_identity(program, "alice@example.com", first_name="Alice")
    response = widget.post("/me", {"identity": token})
    assert response.status_code == 200
    body = response.json()
    assert body["first_name"] == "Alice" and body["stats"]["invited"] == 0
    assert body["share_url"].endswith(body["code"])


@pytest.mark.parametrize(
    "case", ["forged", "expired", "other_program", "garbage", "non_ascii", "non_ascii_signature"]
)
def test_forged_or_expired_identity_tokens_are_refused(
    widget: Widget, program: Program, case: str
) -> None:
    good = sign_identity(program, "alice@example.com")
    payload, _, signature = good.partition(".")
    tokens = {
        "forged": sign_identity(program, "alice@example.com")[:-4] + "AAAA",
        "expired": sign_identity(program, "alice@example.com", ttl=timedelta(seconds=-1)),
        "other_program": sign_identity(ProgramFactory(), "alice@example.com"),
        "garbage": f"{payload}x.{signature}",
        "non_ascii": "é.é",
        "non_ascii_signature": f"{payload}.é{signature[1:]}",
    }
    response = widget.post("/me", {"identity": tokens[case]})
    assert_problem(response, 401)
    invite = {"identity": tokens[case], "emails": ["bob@example.com"], "message": "hi"}
    assert_problem(widget.post("/invitations", invite), 401)
    assert not Contact.objects.filter(email="alice@example.com").exists()


# XSS


def test_markup_in_names_travels_as_json_data(widget: Widget, program: Program) -> None:
    name = '<img src=x onerror="alert(1)">'
    code = enrol_referrer(program, "alice@example.com", first_name=name, vouched=True).code
    response = widget.get(f"/codes/{code}")
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert json.loads(response.content)["first_name"] == name
