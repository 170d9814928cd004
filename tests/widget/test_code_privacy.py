"""Issue 10, point 5: the widget never tells anyone a customer's name or code from their email.

The attack, from outside: enrol an existing customer's address with no name, then look the
code up to read their first name. Each test plays it through HTTP.
"""

from __future__ import annotations

from typing import Any

from django.core import mail

from parrain.core.identity import sign_identity
from parrain.core.models import Contact, Program
from parrain.core.services.enrolment import enrol_referrer
from tests.widget.conftest import Widget


def _customer(program: Program, email: str = "carol@example.com") -> Contact:
    return Contact.objects.create(
        program=program,
        email=email,
        first_name="Carol",
        last_name="Secret",
        external_id="shop-42",
        is_customer=True,
    )


def test_enrolling_a_customer_s_email_shows_no_code_and_mails_the_link_to_them(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    carol = _customer(program)
    with django_capture_on_commit_callbacks(execute=True):
        response = widget.post("/referrers", {"email": "carol@example.com"})
    assert response.status_code == 200
    assert response.json() == {"delivery": "email", "code": None, "share_url": None}
    carol.refresh_from_db()
    assert carol.referrer_code and carol.referrer_code not in response.content.decode()
    assert "Carol" not in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["carol@example.com"] and carol.referrer_code in message.body


def test_a_customer_s_code_lookup_does_not_reveal_their_stored_name(
    widget: Widget, program: Program
) -> None:
    carol = _customer(program)
    widget.post("/referrers", {"email": "carol@example.com"})
    carol.refresh_from_db()
    body = widget.get(f"/codes/{carol.referrer_code}").json()
    assert body["first_name"] == ""
    assert "Carol" not in str(body) and "Secret" not in str(body)


def test_a_visitor_cannot_attach_a_name_to_someone_else_s_address(
    widget: Widget, program: Program
) -> None:
    carol = _customer(program)
    answer = widget.post("/referrers", {"email": "carol@example.com", "first_name": "Mallory"})
    assert answer.json()["delivery"] == "email"
    carol.refresh_from_db()
    assert carol.first_name == "Carol" and carol.share_name == ""
    assert widget.get(f"/codes/{carol.referrer_code}").json()["first_name"] == ""


def test_known_referrers_and_other_stored_contacts_get_their_link_by_email_too(
    widget: Widget, program: Program
) -> None:
    enrol_referrer(program, "alice@example.com", first_name="Alice")
    Contact.objects.create(program=program, email="friend@example.com")  # a past referee
    for email in ("alice@example.com", "friend@example.com"):
        body = widget.post("/referrers", {"email": email}).json()
        assert body == {"delivery": "email", "code": None, "share_url": None}


def test_only_a_brand_new_address_sees_its_link_with_the_name_it_typed(
    widget: Widget, program: Program
) -> None:
    body = widget.post("/referrers", {"email": "new@example.com", "first_name": "Nina"}).json()
    assert body["delivery"] == "screen" and body["share_url"].endswith(body["code"])
    assert widget.get(f"/codes/{body['code']}").json()["first_name"] == "Nina"


def test_the_shop_s_identity_token_carries_the_name_friends_see(
    widget: Widget, program: Program
) -> None:
    carol = _customer(program)
    token = sign_identity(program, "carol@example.com", first_name="Caro")
    me = widget.post("/me", {"identity": token}).json()
    assert widget.get(f"/codes/{me['code']}").json()["first_name"] == "Caro"
    carol.refresh_from_db()
    assert carol.is_verified


def test_privacy_mode_enrolment_answers_the_same_whatever_the_email(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    program.privacy_mode = True
    program.save()
    _customer(program)
    enrol_referrer(program, "alice@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            widget.post("/referrers", {"email": email})
            for email in ("carol@example.com", "alice@example.com", "nobody@example.com")
        ]
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["delivery"] == "email"
    # each address got its own link, in its own mailbox
    assert sorted(m.to[0] for m in mail.outbox) == [
        "alice@example.com",
        "carol@example.com",
        "nobody@example.com",
    ]


def test_repeated_enrolments_of_a_known_address_mail_it_once_an_hour(
    widget: Widget, program: Program, django_capture_on_commit_callbacks: Any
) -> None:
    _customer(program)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            widget.post("/referrers", {"email": "carol@example.com"})
    assert len(mail.outbox) == 1
