"""Referral pages, the query budget of an order, and the committed OpenAPI document."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone
from openapi_spec_validator import validate

from parrain.core.api.export_openapi import render
from parrain.core.factories import ContactFactory
from parrain.core.models import Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

from .conftest import ApiClient

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = ".venv/bin/python -m parrain.core.api.export_openapi > docs/openapi.json"
#: Queries to record one referred order (15 on PostgreSQL and SQLite when written; 18 since
#: an order schedules its scenario steps: audience check, insert); a little slack.
ORDER_QUERY_BUDGET = 20


def _referrals(api: ApiClient, count: int) -> list[int]:
    referrer = ContactFactory(program=api.program, email="alice@example.com", referrer_code="ALICE")
    start = timezone.now() - timedelta(days=10)
    same_moment = start + timedelta(days=1)
    ids = []
    for n in range(count):
        referee = ContactFactory(program=api.program, email=f"friend{n}@example.com")
        # Three referrals share one invited_at: the cursor must order them by pk.
        invited_at = same_moment if n in (3, 4, 5) else start + timedelta(hours=n)
        referral = Referral.objects.create(
            program=api.program, referrer=referrer, referee=referee, invited_at=invited_at
        )
        ids.append(referral.pk)
    return ids


@pytest.mark.django_db
def test_cursor_walks_every_referral_once_newest_first(api: ApiClient) -> None:
    _referrals(api, 9)
    expected = list(Referral.objects.order_by("-invited_at", "-pk").values_list("pk", flat=True))
    seen, cursor, pages = [], None, 0
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        body = api.call("get", f"/referrals{query}").json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == 5


@pytest.mark.django_db
@override_settings(PARRAIN_PAGE_SIZE=4)
def test_referral_filters_by_referrer_code_status_and_dates(api: ApiClient) -> None:
    ids = _referrals(api, 9)
    Referral.objects.filter(pk=ids[0]).update(status=ReferralStatus.CANCELLED)
    assert len(api.call("get", "/referrals").json()["items"]) == 4  # PAGE_SIZE
    by_code = api.call("get", "/referrals?referrer=alice&status=cancelled&limit=200").json()
    assert [item["id"] for item in by_code["items"]] == [ids[0]]
    since = (timezone.now() - timedelta(days=10, minutes=1)).isoformat()
    until = (timezone.now() - timedelta(days=10) + timedelta(minutes=30)).isoformat()
    response = api.client.get(
        f"/api/v1/programs/{api.program.slug}/referrals",
        {"since": since, "until": until},
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )
    assert [item["id"] for item in response.json()["items"]] == [ids[0]]
    nobody = api.call("get", "/referrals?referrer=nobody@example.com").json()
    assert nobody == {"items": [], "next_cursor": None}


@pytest.mark.django_db
def test_recording_a_referred_order_stays_within_the_query_budget(
    api: ApiClient, django_assert_max_num_queries: object
) -> None:
    code = enrol_referrer(api.program, "alice@example.com").code
    welcome = register_referee(api.program, code, "bob@example.org").reward
    data = OrderData(
        external_id="Q-1",
        email="bob@example.org",
        amount=Decimal("80"),
        currency="EUR",
        welcome_code=welcome.code,
    )
    with django_assert_max_num_queries(ORDER_QUERY_BUDGET):  # type: ignore[operator]
        outcome = record_order(api.program, data)
    assert outcome.referral is not None
    assert outcome.referral.status == ReferralStatus.CONVERTED


def test_committed_openapi_document_is_current_and_valid() -> None:
    current = render()
    committed = OPENAPI.read_text() if OPENAPI.exists() else ""
    assert committed == current, f"docs/openapi.json is stale; regenerate it: {REGENERATE}"
    document = json.loads(current)
    validate(document)
    assert document["components"]["securitySchemes"]["SecretKey"] == {
        "type": "http",
        "scheme": "bearer",
    }
    for path, operations in document["paths"].items():
        scheme = "ManageKey" if path.startswith("/api/v1/manage/") else "SecretKey"
        for operation in operations.values():
            assert operation["security"] == [{scheme: []}]
            assert "application/problem+json" in operation["responses"]["422"]["content"]


@pytest.mark.django_db
def test_openapi_and_docs_are_served(api: ApiClient) -> None:
    served = api.client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    assert served.json()["paths"].keys() == json.loads(render())["paths"].keys()
    docs = api.client.get("/api/v1/docs")
    assert docs.status_code == 200
    # Served from the project's static files, so the docs work offline (no CDN).
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content
    assert b"cdn.jsdelivr" not in docs.content and b"unpkg" not in docs.content


def test_docs_without_the_ninja_app_are_diagnosed(monkeypatch: pytest.MonkeyPatch) -> None:
    from parrain.core import checks
    from parrain.core.checks import check_api_docs_assets

    assert check_api_docs_assets() == []
    installed = checks.apps.is_installed
    monkeypatch.setattr(
        checks.apps, "is_installed", lambda name: name != "ninja" and installed(name)
    )
    assert [problem.id for problem in check_api_docs_assets()] == ["parrain.W005"]
