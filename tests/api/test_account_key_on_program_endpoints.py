"""An account key (``mk_…``) sets up each program resource over the same endpoints as a
program key, and the audit log names it (``api:mk_…``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import AccountKey, AuditEvent

from .conftest import ApiClient, assert_problem

pytestmark = pytest.mark.django_db

STEP = {
    "trigger": "invitation_sent",
    "delay_amount": 2,
    "delay_unit": "days",
    "channel": "email",
    "kind": "friend_reminder",
    "recipient": "friend",
    "audience": ["not_claimed"],
}
HTML = (
    "<mj-section><mj-column><mj-text>Hi {{ contact_first_name }}</mj-text></mj-column></mj-section>"
)


def _soon(hours: int) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def _boost() -> dict[str, Any]:
    return {
        "name": "Black week",
        "starts_at": _soon(24),
        "ends_at": _soon(96),
        "referrer_reward": {"kind": "fixed_amount", "value": "20.00"},
    }


def _contest() -> dict[str, Any]:
    return {
        "name": "Spring draw",
        "names": {"fr": "Tirage de printemps", "en": "Spring draw"},
        "rules_texts": {"en": "One ticket per converted friend."},
        "entries_start": _soon(1),
        "entries_end": _soon(120),
        "draw_at": _soon(144),
        "ticket_cap": 10,
        "public_value_source": "drand round 7000000",
        "prizes": [{"label": "Bike", "quantity": 1}],
    }


CASES = [
    ("patch", "/scenario/settings", {"messages_per_week": 2}, "scenario.settings_changed"),
    ("post", "/scenario/steps", STEP, "scenario.step_created"),
    (
        "put",
        "/message-templates/welcome/email/en",
        {"subject": "Your code {{ welcome_code }}", "html": HTML, "text": ""},
        "message_template.saved",
    ),
    (
        "post",
        "/badges",
        {
            "names": {"fr": "Bronze", "en": "Bronze"},
            "conditions": [{"kind": "friends_converted", "threshold": 1}],
        },
        "badge.created",
    ),
    ("post", "/boosts", _boost, "boost.created"),
    ("post", "/contests", _contest, "contest.created"),
    (
        "post",
        "/loyalty/actions",
        {"email": "eve@example.com", "kind": "adjustment", "points": 5, "reason": "gift"},
        "loyalty.recorded",
    ),
]


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


@pytest.fixture
def manager(program) -> ApiClient:
    from django.test import Client

    _key, clear = AccountKey.create("agency")
    return ApiClient(program=program, key=clear, client=Client())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("method, path, body, action", CASES, ids=[c[3] for c in CASES])
def test_an_account_key_sets_up_the_resource_and_is_named_in_the_audit(
    manager, method, path, body, action
) -> None:
    ContactFactory(program=manager.program, email="eve@example.com")
    payload = body() if callable(body) else body

    response = manager.call(method, path, payload, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code in (200, 201), response.content
    actors = set(AuditEvent.objects.filter(action=action).values_list("actor", flat=True))
    assert actors == {f"api:{manager.key[:10]}"}
    assert manager.key[:10].startswith("mk_")


def test_a_program_key_is_named_in_the_loyalty_audit_too(api) -> None:
    ContactFactory(program=api.program, email="eve@example.com")
    body = {"email": "eve@example.com", "kind": "review", "points": 5}

    assert api.call("post", "/loyalty/actions", body).status_code == 201

    assert AuditEvent.objects.get(action="loyalty.recorded").actor == f"api:{api.key[:10]}"


def test_an_account_key_reaches_every_program_but_not_an_unknown_one(manager) -> None:
    other = ProgramFactory()

    assert manager.call("get", "/boosts", slug=other.slug).status_code == 200
    assert_problem(manager.call("get", "/boosts", slug="no-such-program"), 404)


def test_the_program_ledger_lists_every_contact_s_lines_with_filters(manager) -> None:
    program = manager.program
    for email, kind, points in (("a@example.com", "review", 5), ("b@example.com", "birthday", 7)):
        ContactFactory(program=program, email=email)
        body = {"email": email, "kind": kind, "points": points}
        assert manager.call("post", "/loyalty/actions", body).status_code == 201

    every = manager.call("get", "/loyalty/entries").json()
    reviews = manager.call("get", "/loyalty/entries?kind=review").json()
    bee = manager.call("get", "/loyalty/entries?email=B@example.com").json()
    page = manager.call("get", "/loyalty/entries?limit=1").json()

    assert [item["contact_email"] for item in every["items"]] == ["b@example.com", "a@example.com"]
    assert [item["points"] for item in reviews["items"]] == [5]
    assert [item["kind"] for item in bee["items"]] == ["birthday"]
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = manager.call("get", f"/loyalty/entries?limit=1&cursor={page['next_cursor']}").json()
    assert [item["contact_email"] for item in rest["items"]] == ["a@example.com"]
    assert_problem(manager.call("get", "/loyalty/entries?kind=gift"), 422, "kind")
    assert_problem(manager.call("get", "/loyalty/entries?until=2026-01-01T00:00:00-20:00"), 422)


def test_loyalty_kinds_are_the_model_choices() -> None:
    from typing import get_args

    from parrain.core.api.server_loyalty import Kind
    from parrain.core.models import LoyaltyKind

    assert set(get_args(Kind)) == set(LoyaltyKind.values)
