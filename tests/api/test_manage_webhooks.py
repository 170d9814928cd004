"""Management API of webhook endpoints: inbound and outbound, with an account key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import AccountKey, AuditEvent, Program
from parrain.plugins.generic_webhook.models import InboundEndpoint, OutboundEndpoint
from parrain.plugins.generic_webhook.signing import secret_key

from .conftest import assert_problem

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.215.14/hooks/parrain"


class Manage:
    def __init__(self, program: Program) -> None:
        self.account, self.key = AccountKey.create("agency")
        self.program = program
        self.client = Client()

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        key = extra.pop("key", self.key)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        slug = extra.pop("slug", self.program.slug)
        return getattr(self.client, method)(
            f"/api/v1/manage/programs/{slug}/webhooks{path}",
            data=data,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
            **headers,
            **extra,
        )


@pytest.fixture
def manage(program: Program) -> Manage:
    return Manage(program)


def _actors(action: str) -> list[str]:
    return list(AuditEvent.objects.filter(action=action).values_list("actor", flat=True))


# Inbound


def test_a_generic_inbound_endpoint_gets_a_standard_secret_shown_once(manage) -> None:
    created = manage.call("post", "/inbound", {"source": "generic"})

    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret_key(secret)) == 32
    assert body["url"] == f"https://shop.example/webhooks/in/{manage.program.slug}/generic/"
    assert body["secret_masked"].startswith("whsec_") and secret not in body["secret_masked"]
    assert InboundEndpoint.objects.get(pk=body["id"]).secret == secret
    # read back: never the secret again
    for answer in (manage.call("get", f"/inbound/{body['id']}"), manage.call("get", "/inbound")):
        assert answer.status_code == 200
        assert secret not in answer.content.decode()
    assert _actors("webhook_endpoint.created") == [f"api:{manage.account.prefix}"]


def test_a_shopify_endpoint_needs_the_app_secret_and_one_per_source(manage) -> None:
    refused = manage.call("post", "/inbound", {"source": "shopify"})
    assert_problem(refused, 422, "secret")
    assert not InboundEndpoint.objects.exists()

    body = {"source": "shopify", "secret": "shpss_0123456789abcdef0123456789abcdef"}
    assert manage.call("post", "/inbound", body).status_code == 201
    assert_problem(manage.call("post", "/inbound", body), 409, "source")
    assert InboundEndpoint.objects.count() == 1


def test_a_saleor_endpoint_needs_its_api_url_or_a_secret(manage) -> None:
    assert_problem(manage.call("post", "/inbound", {"source": "saleor"}), 422, "saleor_api_url")
    bad = {"source": "saleor", "saleor_api_url": "not a url"}
    assert_problem(manage.call("post", "/inbound", bad), 422, "saleor_api_url")
    good = {"source": "saleor", "saleor_api_url": "https://shop.example/graphql/"}
    assert manage.call("post", "/inbound", good).status_code == 201


def test_the_program_s_identity_secret_is_refused_as_a_webhook_secret(manage) -> None:
    body = {"source": "woocommerce", "secret": manage.program.identity_secret}
    assert_problem(manage.call("post", "/inbound", body), 422, "secret")
    assert not InboundEndpoint.objects.exists()


def test_inbound_patch_rotate_and_delete(manage) -> None:
    created = manage.call("post", "/inbound", {"source": "generic"}).json()
    path = f"/inbound/{created['id']}"

    patched = manage.call("patch", path, {"is_active": False})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert_problem(manage.call("patch", path, {"source": "shopify"}), 422, "source")

    rotated = manage.call("post", f"{path}/rotate-secret")
    assert rotated.status_code == 200, rotated.content
    new = rotated.json()
    assert new["secret"] != created["secret"] and new["secret"].startswith("whsec_")
    assert new["previous_secret_accepted_until"] is not None
    endpoint = InboundEndpoint.objects.get(pk=created["id"])
    assert endpoint.signing_secrets() == [new["secret"], created["secret"]]
    assert _actors("secret.rotated") == [f"api:{manage.account.prefix}"]

    assert manage.call("delete", path).status_code == 204
    assert not InboundEndpoint.objects.exists()
    assert_problem(manage.call("get", path), 404, "endpoint_id")


def test_a_shopify_rotation_needs_the_new_secret(manage) -> None:
    old = "shpss_0123456789abcdef0123456789abcdef"
    created = manage.call("post", "/inbound", {"source": "shopify", "secret": old}).json()
    path = f"/inbound/{created['id']}/rotate-secret"

    assert_problem(manage.call("post", path, {}), 422, "secret")
    assert InboundEndpoint.objects.get().secret == old
    new = "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"
    assert manage.call("post", path, {"secret": new}).json()["secret"] == new


# Outbound


def test_an_outbound_endpoint_is_created_with_its_events_and_secret_once(manage) -> None:
    body = {"url": PUBLIC_URL, "event_types": ["reward.issued", "referral.validated"]}

    created = manage.call("post", "/outbound", body)

    assert created.status_code == 201, created.content
    out = created.json()
    assert out["event_types"] == ["reward.issued", "referral.validated"]
    assert len(secret_key(out["secret"])) == 32
    listed = manage.call("get", "/outbound")
    assert [item["id"] for item in listed.json()["items"]] == [out["id"]]
    assert out["secret"] not in listed.content.decode()
    assert _actors("webhook_endpoint.created") == [f"api:{manage.account.prefix}"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "http://127.0.0.1:8000/hook"}, "url"),
        ({"url": "http://10.0.0.7/hook"}, "url"),
        ({"url": "ftp://93.184.215.14/hook"}, "url"),
        ({"url": PUBLIC_URL, "event_types": ["order.placed"]}, "event_types.0"),
        ({"url": PUBLIC_URL, "secret": "whsec_not*base64*at*all"}, "secret"),
        ({"url": PUBLIC_URL, "colour": "red"}, "colour"),
    ],
)
def test_bad_outbound_input_is_a_422_and_stores_nothing(manage, body, field) -> None:
    assert_problem(manage.call("post", "/outbound", body), 422, field)
    assert not OutboundEndpoint.objects.exists()


def test_an_outbound_patch_to_a_private_url_keeps_the_stored_one(manage) -> None:
    created = manage.call("post", "/outbound", {"url": PUBLIC_URL}).json()
    path = f"/outbound/{created['id']}"

    assert_problem(manage.call("patch", path, {"url": "http://169.254.169.254/"}), 422, "url")
    assert_problem(manage.call("patch", path, {"url": None}), 422, "url")
    assert OutboundEndpoint.objects.get().url == PUBLIC_URL

    patched = manage.call("patch", path, {"description": "ERP", "event_types": []})
    assert patched.status_code == 200 and patched.json()["description"] == "ERP"


def test_enabling_a_disabled_outbound_endpoint_clears_its_failure(manage) -> None:
    created = manage.call("post", "/outbound", {"url": PUBLIC_URL}).json()
    OutboundEndpoint.objects.filter(pk=created["id"]).update(
        is_active=False, disabled_reason="failing for 5 days"
    )

    enabled = manage.call("patch", f"/outbound/{created['id']}", {"is_active": True})

    assert enabled.status_code == 200
    assert enabled.json()["is_active"] is True and enabled.json()["disabled_reason"] == ""


def test_outbound_rotation_and_delete(manage) -> None:
    created = manage.call("post", "/outbound", {"url": PUBLIC_URL}).json()
    path = f"/outbound/{created['id']}"

    rotated = manage.call("post", f"{path}/rotate-secret").json()

    assert rotated["secret"] != created["secret"]
    assert OutboundEndpoint.objects.get().signing_secrets() == [
        rotated["secret"],
        created["secret"],
    ]
    assert manage.call("delete", path).status_code == 204
    assert not OutboundEndpoint.objects.exists()


# Keys and programs


def test_a_program_key_or_a_revoked_account_key_is_a_401(manage, api) -> None:
    assert_problem(manage.call("get", "/outbound", key=api.key), 401)
    assert_problem(manage.call("get", "/outbound", key=""), 401)
    AccountKey.objects.filter(pk=manage.account.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert_problem(manage.call("post", "/outbound", {"url": PUBLIC_URL}), 401)
    assert not OutboundEndpoint.objects.exists()


def test_another_program_s_endpoint_is_a_404_and_an_unknown_program_too(manage) -> None:
    other = ProgramFactory()
    theirs = OutboundEndpoint.objects.create(program=other, url=PUBLIC_URL)

    assert_problem(manage.call("get", f"/outbound/{theirs.pk}"), 404, "endpoint_id")
    assert_problem(manage.call("delete", f"/outbound/{theirs.pk}"), 404, "endpoint_id")
    assert_problem(manage.call("get", "/inbound", slug="no-such-program"), 404, "slug")
    assert OutboundEndpoint.objects.filter(pk=theirs.pk).exists()
