"""Identity tokens a shop signs for its customer, and the widget embed HTML."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.template import Context, Template
from django.test import RequestFactory

from parrain.core.embed import render_widget
from parrain.core.factories import ProgramFactory
from parrain.core.identity import InvalidIdentity, sign_identity, verify_identity
from parrain.core.models import AuditEvent
from parrain.core.services.secrets import rotate_identity_secret

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


def test_replacing_the_identity_secret_outright_invalidates_tokens() -> None:
    program = ProgramFactory()
    token = sign_identity(program, "a@example.com")
    program.identity_secret = "idsec_replaced"
    with pytest.raises(InvalidIdentity):
        verify_identity(program, token)


def test_tokens_of_the_previous_identity_secret_verify_until_the_grace_ends(
    settings: Any,
) -> None:
    settings.PARRAIN_SECRET_ROTATION_GRACE = timedelta(hours=24)
    month = timedelta(days=30)
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False) as clock:
        program = ProgramFactory()
        old_token = sign_identity(program, "a@example.com", ttl=month)
        program = rotate_identity_secret(program, actor="owner")
        new_token = sign_identity(program, "b@example.com", ttl=month)
        assert program.identity_secret.startswith("idsec_")
        assert verify_identity(program, old_token).email == "a@example.com"

        clock.shift(timedelta(hours=24) - timedelta(seconds=1))  # last second of the grace
        assert verify_identity(program, old_token).email == "a@example.com"
        clock.shift(timedelta(seconds=1))  # the grace is over
        with pytest.raises(InvalidIdentity, match="signature"):
            verify_identity(program, old_token)
        assert verify_identity(program, new_token).email == "b@example.com"
    rotation = AuditEvent.objects.get(action="secret.rotated")
    assert (rotation.actor, rotation.program) == ("owner", program)
    assert rotation.data["secret"] == f"parrain.program {program.pk} identity_secret"


def test_non_ascii_tokens_are_refused_as_malformed() -> None:
    program = ProgramFactory()
    payload, _, signature = sign_identity(program, "a@example.com").partition(".")
    for token in ("é.é", f"{payload}.é{signature[1:]}", f"é{payload}.{signature}"):
        with pytest.raises(InvalidIdentity, match="malformed"):
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
