"""Keys over the management API (issue 16 §2): who may call it, and the secrets it hands
out once (program keys, the identity key, account keys)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import AccountKey, ApiKey, AuditEvent, IdempotentRequest
from parrain.core.services.keys import revoke_account_key

from .conftest import assert_problem
from .manage_client import ManageClient

pytestmark = pytest.mark.django_db


def _server(key: str, slug: str = "shop") -> int:
    """The status of a harmless call to the program's server API with ``key``."""
    return (
        Client()
        .get(f"/api/v1/programs/{slug}/referrals", HTTP_AUTHORIZATION=f"Bearer {key}")
        .status_code
    )


# Who may call /manage


def test_missing_wrong_or_revoked_account_key_is_401(manage: ManageClient) -> None:
    body = assert_problem(manage.call("get", "/programs", key=None), 401)
    assert "mk_" in body["detail"]
    assert_problem(manage.call("get", "/programs", key="mk_wrong"), 401)
    revoke_account_key(manage.account_key, actor="test")
    response = manage.call("get", "/programs")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_program_key_is_refused_on_manage_with_a_clear_problem(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop")
    _, secret = program.create_api_key("server")
    body = assert_problem(manage.call("get", "/programs", key=secret), 401)
    assert "sk_" in body["detail"] and "mk_" in body["detail"]
    response = manage.call("post", "/programs/shop/keys", {"label": "x"}, key=secret)
    assert_problem(response, 401)
    assert program.api_keys.count() == 1


def test_an_account_key_also_works_on_a_program_s_own_endpoints(manage: ManageClient) -> None:
    ProgramFactory(slug="shop")
    assert _server(manage.key) == 200


# The program's secret keys


def test_create_key_shows_the_clear_key_once_and_it_works(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop")
    response = manage.call("post", "/programs/shop/keys", {"label": "Shopify"})
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    created = response.json()
    assert created["key"].startswith("sk_") and created["prefix"] == created["key"][:10]
    assert _server(created["key"]) == 200
    listed = manage.call("get", "/programs/shop/keys").json()
    assert [k["label"] for k in listed] == ["Shopify"]
    assert "key" not in listed[0] and created["key"] not in json.dumps(listed)
    assert listed[0]["active"] is True and listed[0]["last_used_at"] is not None
    event = AuditEvent.objects.get(program=program, action="api_key.created")
    assert event.actor == manage.actor and created["key"] not in json.dumps(event.data)


def test_a_retried_key_creation_gets_the_same_key_kept_encrypted(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop")
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-key-1"}
    first = manage.call("post", "/programs/shop/keys", {"label": "a"}, **headers)
    again = manage.call("post", "/programs/shop/keys", {"label": "a"}, **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same key, not a second one never seen
    assert again["Idempotent-Replayed"] == "true" and again["Cache-Control"] == "no-store"
    assert program.api_keys.filter(label="a").count() == 1
    stored = IdempotentRequest.objects.get(key="create-key-1")
    assert stored.sealed and first.json()["key"].encode() not in bytes(stored.body)


def test_a_sealed_answer_no_key_decrypts_runs_again(manage: ManageClient, settings) -> None:
    program = ProgramFactory(slug="shop")
    headers = {"HTTP_IDEMPOTENCY_KEY": "create-key-2"}
    first = manage.call("post", "/programs/shop/keys", {"label": "b"}, **headers)
    settings.PARRAIN_ENCRYPTION_KEYS = ["an operator key the answer was not sealed with"]
    settings.SECRET_KEY = "replaced-" + settings.SECRET_KEY  # no fallback kept
    again = manage.call("post", "/programs/shop/keys", {"label": "b"}, **headers)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert again.json()["key"] != first.json()["key"]
    assert program.api_keys.filter(label="b").count() == 2


def test_rotate_gives_a_new_key_and_refuses_the_old_one(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop")
    old, old_clear = program.create_api_key("server")
    response = manage.call("post", f"/programs/shop/keys/{old.pk}/rotate")
    assert response.status_code == 201, response.content
    new_clear = response.json()["key"]
    assert response.json()["label"] == "server"
    assert _server(new_clear) == 200
    assert _server(old_clear) == 401
    event = AuditEvent.objects.get(program=program, action="api_key.rotated")
    assert event.actor == manage.actor


def test_rotate_with_grace_keeps_the_old_key_until_then(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop")
    old, old_clear = program.create_api_key("server")
    response = manage.call("post", f"/programs/shop/keys/{old.pk}/rotate?grace_minutes=60")
    assert response.status_code == 201
    assert _server(old_clear) == 200
    old.refresh_from_db()
    assert old.revoked_at > timezone.now() + timedelta(minutes=59)
    listed = {k["id"]: k for k in manage.call("get", "/programs/shop/keys").json()}
    assert listed[old.pk]["active"] is True
    ApiKey.objects.filter(pk=old.pk).update(revoked_at=timezone.now() - timedelta(seconds=1))
    assert _server(old_clear) == 401
    assert_problem(
        manage.call("post", f"/programs/shop/keys/{old.pk}/rotate?grace_minutes=9999"),
        422,
        "grace_minutes",
    )


def test_revoke_refuses_the_key_at_once(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop")
    key, clear = program.create_api_key("server")
    response = manage.call("post", f"/programs/shop/keys/{key.pk}/revoke")
    assert response.status_code == 200 and response.json()["active"] is False
    assert _server(clear) == 401
    manage.call("post", f"/programs/shop/keys/{key.pk}/revoke")  # harmless again
    assert AuditEvent.objects.filter(action="api_key.revoked", actor=manage.actor).count() == 1


def test_another_program_s_key_is_404(manage: ManageClient) -> None:
    ProgramFactory(slug="shop")
    other, clear = ProgramFactory().create_api_key("theirs")
    assert_problem(manage.call("post", f"/programs/shop/keys/{other.pk}/revoke"), 404, "key_id")
    assert_problem(manage.call("post", f"/programs/shop/keys/{other.pk}/rotate"), 404, "key_id")
    other.refresh_from_db()
    assert other.revoked_at is None


# The identity key


def test_reveal_identity_key_is_audited(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop")
    response = manage.call("post", "/programs/shop/identity-key/reveal")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json() == {"secret": program.identity_secret, "previous_accepted_until": None}
    event = AuditEvent.objects.get(program=program, action="secret.revealed")
    assert event.actor == manage.actor


def test_rotate_identity_key_keeps_the_previous_during_the_grace(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop")
    before = program.identity_secret
    response = manage.call("post", "/programs/shop/identity-key/rotate")
    assert response.status_code == 201
    body = response.json()
    program.refresh_from_db()
    assert body["secret"] == program.identity_secret != before
    assert body["previous_accepted_until"] is not None
    assert program.identity_secrets() == [body["secret"], before]
    assert AuditEvent.objects.get(action="secret.rotated").actor == manage.actor


# Account keys


def test_account_keys_create_list_revoke(
    manage: ManageClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="parrain.audit"):
        response = manage.call("post", "/account-keys", {"label": "agency"})
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    created = response.json()
    assert created["key"].startswith("mk_") and created["scope"] == "manage"
    assert created["created_by"] == manage.actor
    assert any(
        manage.actor in r.getMessage() and created["prefix"] in r.getMessage()
        for r in caplog.records
    )
    assert manage.call("get", "/programs", key=created["key"]).status_code == 200
    listed = manage.call("get", "/account-keys").json()
    assert {k["label"] for k in listed} == {"tests", "agency"}
    assert created["key"] not in json.dumps(listed)
    revoked = manage.call("post", f"/account-keys/{created['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert_problem(manage.call("get", "/programs", key=created["key"]), 401)
    assert AccountKey.objects.get(pk=created["id"]).revoked_at is not None
    assert_problem(manage.call("post", "/account-keys/999999/revoke"), 404, "key_id")
    assert_problem(manage.call("post", "/account-keys", {"label": "x" * 81}), 422, "label")
