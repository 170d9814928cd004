"""Server API of boosted offers: CRUD, the comparison, and every refusal a clear 4xx that
leaves what was stored as it was."""

from __future__ import annotations

from typing import get_args

import pytest
import time_machine

from parrain.core.api.server_boosts import Kind
from parrain.core.models import AuditEvent, Boost, RewardRule
from parrain.core.models.choices import RewardKind

from .conftest import assert_problem

pytestmark = pytest.mark.django_db

NOW = "2026-12-01T10:00:00+01:00"
BOOST = {
    "name": "Black week",
    "labels": {"en": "Double reward until Sunday", "fr": "Récompense doublée"},
    "starts_at": "2026-12-05T00:00:00+01:00",
    "ends_at": "2026-12-08T00:00:00+01:00",
    "referrer_reward": {"kind": "fixed_amount", "value": "20.00"},
}


@pytest.fixture(autouse=True)
def _now():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


def _snapshot() -> list:
    rules = list(RewardRule.objects.order_by("pk").values())
    return [list(Boost.objects.order_by("pk").values()), rules]


def test_kinds_are_the_reward_kinds() -> None:
    assert set(get_args(Kind)) == set(RewardKind.values)


def test_create_read_list_patch_delete(api) -> None:  # type: ignore[no-untyped-def]
    created = api.call(
        "post", "/boosts", {**BOOST, "welcome_offer": {"kind": "percentage", "value": 25}}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "scheduled" and body["referrer_reward"]["value"] == "20.00"
    assert body["welcome_offer"]["kind"] == "percentage"
    boost_id = body["id"]
    assert api.call("get", f"/boosts/{boost_id}").json()["name"] == "Black week"
    assert [b["id"] for b in api.call("get", "/boosts").json()["items"]] == [boost_id]
    patched = api.call("patch", f"/boosts/{boost_id}", {"welcome_offer": None, "name": "BW"})
    assert patched.status_code == 200, patched.content
    assert patched.json()["welcome_offer"] is None and patched.json()["name"] == "BW"
    assert api.call("delete", f"/boosts/{boost_id}").status_code == 204
    assert not Boost.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"boost.created", "boost.updated", "boost.deleted"} <= actions
    assert AuditEvent.objects.get(action="boost.created").actor.startswith("api:")


def test_overlap_is_refused_naming_the_other_boost(api) -> None:  # type: ignore[no-untyped-def]
    api.call("post", "/boosts", BOOST)
    before = _snapshot()
    response = api.call(
        "post",
        "/boosts",
        {
            **BOOST,
            "name": "Other",
            "starts_at": "2026-12-07T00:00:00+01:00",
            "ends_at": "2026-12-09T00:00:00+01:00",
        },
    )
    body = assert_problem(response, 422, "starts_at")
    assert "Black week" in body["detail"] and "2026-12-05 00:00" in body["detail"]
    assert _snapshot() == before


def test_end_before_start_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot()
    response = api.call("post", "/boosts", {**BOOST, "ends_at": "2026-12-04T00:00:00+01:00"})
    assert_problem(response, 422, "ends_at")
    assert _snapshot() == before


def test_reward_of_a_started_boost_cannot_change(api) -> None:  # type: ignore[no-untyped-def]
    boost_id = api.call("post", "/boosts", BOOST).json()["id"]
    with time_machine.travel("2026-12-06T12:00:00+01:00", tick=False):
        before = _snapshot()
        response = api.call(
            "patch",
            f"/boosts/{boost_id}",
            {"referrer_reward": {"kind": "fixed_amount", "value": 30}},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        body = assert_problem(response, 422, "referrer_reward")
        assert "already carry this reward" in body["detail"]
        assert_problem(api.call("delete", f"/boosts/{boost_id}"), 422)
        assert_problem(
            api.call("patch", f"/boosts/{boost_id}", {"ends_at": "2026-12-06T00:00:00+01:00"}),
            422,
            "ends_at",
        )
        assert _snapshot() == before
        extended = api.call(
            "patch", f"/boosts/{boost_id}", {"ends_at": "2026-12-09T00:00:00+01:00"}
        )
        assert extended.status_code == 200 and extended.json()["status"] == "running"


def test_bad_bodies_are_refused(api) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot()
    for body in (
        {**BOOST, "referrer_reward": {"kind": "gold", "value": 1}},
        {**BOOST, "referrer_reward": {"kind": "percentage", "value": 150}},
        {**BOOST, "starts_at": "2026-12-05T00:00:00"},  # no offset
        {**BOOST, "labels": {"de": "Doppelt"}},
        {**BOOST, "starts_at": "2026-11-01T00:00:00+01:00"},  # in the past
        {**BOOST, "contest": 999999},
    ):
        response = api.call("post", "/boosts", body)
        assert 400 <= response.status_code < 500 and response.status_code != 404, body
    assert _snapshot() == before
    assert api.call("get", "/boosts/999999").status_code == 404


def test_comparison(api) -> None:  # type: ignore[no-untyped-def]
    boost_id = api.call("post", "/boosts", BOOST).json()["id"]
    with time_machine.travel("2026-12-10T00:00:00+01:00", tick=False):
        body = api.call("get", f"/boosts/{boost_id}/comparison").json()
    assert body["boost"]["invitations"] == 0 and body["boost"]["conversion_rate"] is None
    assert body["before_window"]["end"] == body["window"]["start"]
