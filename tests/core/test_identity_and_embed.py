"""Identity tokens a shop signs for its customer, and the widget embed HTML."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from parrain.core.embed import render_widget
from parrain.core.factories import ProgramFactory
from parrain.core.identity import InvalidIdentity, sign_identity, verify_identity

pytestmark = pytest.mark.django_db


def test_token_round_trip_normalises_the_email() -> None:
    program = ProgramFactory()
    token = sign_identity(program, " Alice@Example.COM ", first_name="Alice", external_id="42")
    identity = verify_identity(program, token)
    assert (identity.email, identity.first_name, identity.external_id) == (
        "alice@example.com",
        "Alice",
        "42",
    )


def test_expired_forged_and_foreign_tokens_are_refused() -> None:
    program, other = ProgramFactory(), ProgramFactory()
    now = time.time()
    expired = sign_identity(program, "a@example.com", ttl=timedelta(minutes=5), now=now - 600)
    with pytest.raises(InvalidIdentity, match="expired"):
        verify_identity(program, expired)

    token = sign_identity(program, "a@example.com")
    payload, _, signature = token.partition(".")
    forged_payload = sign_identity(program, "mallory@example.com").partition(".")[0]
    with pytest.raises(InvalidIdentity, match="signature"):
        verify_identity(program, f"{forged_payload}.{signature}")
    with pytest.raises(InvalidIdentity, match="signature"):
        verify_identity(other, token)
    for garbage in ("", "abc", "a.b", "." * 3000):
        with pytest.raises(InvalidIdentity):
            verify_identity(program, garbage)


def test_rotating_the_program_secret_invalidates_tokens() -> None:
    program = ProgramFactory()
    token = sign_identity(program, "a@example.com")
    program.webhook_secret = "whsec_rotated"
    with pytest.raises(InvalidIdentity):
        verify_identity(program, token)


def test_script_tag_written_once_per_request_and_attributes_escaped() -> None:
    program = ProgramFactory()
    request = RequestFactory().get("/")
    first = render_widget(program, "referrer", request=request, title='<b>"hi"</b>')
    second = render_widget(program, "referee", request=request, colour="red;x:url(evil)")
    assert first.count("<script") == 1 and "<script" not in second
    assert "&lt;b&gt;&quot;hi&quot;&lt;/b&gt;" in first
    assert "data-parrain-colour" not in second  # not a colour: dropped
    assert f'data-parrain-key="{program.public_key}"' in second
    with pytest.raises(ValueError):
        render_widget(program, "admin")


def test_template_tag_identifies_the_logged_in_user(django_user_model) -> None:
    program = ProgramFactory(slug="spring")
    user = django_user_model(email="Zoe@example.com", first_name="Zoé", username="zoe")
    html = Template(
        '{% load parrain %}{% parrain_widget "spring" "referrer" identify=user %}'
    ).render(Context({"user": user, "request": RequestFactory().get("/")}))
    token = html.split('data-parrain-identity="')[1].split('"')[0]
    assert verify_identity(program, token).email == "zoe@example.com"
    unknown = Template('{% load parrain %}{% parrain_widget "nope" "referrer" %}').render(
        Context({})
    )
    assert unknown == ""
