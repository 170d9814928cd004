"""Programs and their reward rules over the management API (issue 16 §2)."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from parrain.core.factories import ContactFactory, ProgramFactory, RewardRuleFactory
from parrain.core.models import AuditEvent, Program, RewardRule

from .conftest import assert_problem
from .manage_client import ManageClient

pytestmark = pytest.mark.django_db


def test_create_program_with_defaults_and_audit_naming_the_key(manage: ManageClient) -> None:
    response = manage.call("post", "/programs", {"name": "Maison Lumière", "slug": "maison"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "maison" and body["currency"] == "EUR"
    assert body["public_key"].startswith("pk_") and "identity_secret" not in body
    assert body["quiet_hours_start"] == "21:00"
    program = Program.objects.get(slug="maison")
    event = AuditEvent.objects.get(program=program, action="program.created")
    assert event.actor == manage.actor


def test_list_programs_newest_first_a_page_at_a_time(manage: ManageClient) -> None:
    made = [ProgramFactory() for _ in range(3)]
    first = manage.call("get", "/programs?limit=2").json()
    assert [p["slug"] for p in first["items"]] == [made[2].slug, made[1].slug]
    rest = manage.call("get", f"/programs?limit=2&cursor={first['next_cursor']}").json()
    assert [p["slug"] for p in rest["items"]] == [made[0].slug]
    assert rest["next_cursor"] is None
    assert_problem(manage.call("get", "/programs?cursor=nonsense"), 400, "cursor")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "A"}, "slug"),
        ({"name": "A", "slug": "with space"}, "slug"),
        ({"name": "A", "slug": "a", "currency": "EURO"}, "currency"),
        ({"name": "A", "slug": "a", "brand_colour": "red"}, "brand_colour"),
        ({"name": "A", "slug": "a", "daily_invitation_cap": -1}, "daily_invitation_cap"),
        ({"name": "A", "slug": "a", "share_channels": ["telegram"]}, "share_channels.0"),
        ({"name": "A", "slug": "a", "quiet_hours_start": "25:00"}, "quiet_hours_start"),
        ({"name": "A", "slug": "a", "landing_url": "javascript:alert(1)"}, "landing_url"),
        ({"name": "A", "slug": "a", "is_active": "yes"}, "is_active"),
        ({"name": "A", "slug": "a", "secret": "x"}, "secret"),
        # The model's own rules (Program.clean / field validators), through full_clean
        ({"name": "A", "slug": "a", "time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
def test_create_program_refuses_bad_input_and_stores_nothing(
    manage: ManageClient, body: dict[str, Any], field: str
) -> None:
    assert_problem(manage.call("post", "/programs", body), 422, field)
    assert not Program.objects.exists()


def test_create_program_refuses_a_slug_taken(manage: ManageClient) -> None:
    ProgramFactory(slug="taken", name="First")
    assert_problem(manage.call("post", "/programs", {"name": "B", "slug": "taken"}), 422, "slug")
    assert Program.objects.get(slug="taken").name == "First"


def test_read_and_patch_only_the_fields_sent(manage: ManageClient) -> None:
    program = ProgramFactory(
        slug="shop", validation_delay_days=14, brand_colour="#000000", quiet_hours_start=time(21)
    )
    assert manage.call("get", "/programs/shop").json()["validation_delay_days"] == 14
    response = manage.call(
        "patch", "/programs/shop", {"validation_delay_days": 30, "quiet_hours_start": None}
    )
    assert response.status_code == 200, response.content
    assert response.json()["validation_delay_days"] == 30
    program.refresh_from_db()
    assert program.validation_delay_days == 30 and program.quiet_hours_start is None
    assert program.brand_colour == "#000000"
    event = AuditEvent.objects.get(program=program, action="program.updated")
    assert event.actor == manage.actor
    assert "quiet_hours_start" in event.data["fields"]
    assert "validation_delay_days" in event.data["fields"]
    assert "brand_colour" not in event.data["fields"]


def test_patch_refused_leaves_the_program_as_it_was(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop", name="Shop", validation_delay_days=14)
    body = {"name": "Renamed", "validation_delay_days": 7, "time_zone": "Nowhere/Land"}
    assert_problem(manage.call("patch", "/programs/shop", body), 422, "time_zone")
    assert_problem(manage.call("patch", "/programs/shop", {"name": None}), 422, "name")
    program.refresh_from_db()
    assert (program.name, program.validation_delay_days) == ("Shop", 14)
    assert not AuditEvent.objects.filter(action="program.updated").exists()


def test_unknown_program_is_404(manage: ManageClient) -> None:
    assert_problem(manage.call("get", "/programs/nope"), 404, "slug")
    assert_problem(manage.call("patch", "/programs/nope", {"name": "X"}), 404, "slug")
    assert_problem(manage.call("get", "/programs/nope/reward-rules"), 404, "slug")


def test_delete_an_empty_program(manage: ManageClient) -> None:
    ProgramFactory(slug="empty")
    assert manage.call("delete", "/programs/empty").status_code == 204
    assert not Program.objects.filter(slug="empty").exists()


def test_delete_a_program_with_data_needs_its_slug_as_confirmation(
    manage: ManageClient,
) -> None:
    program = ProgramFactory(slug="busy")
    ContactFactory(program=program)
    body = assert_problem(manage.call("delete", "/programs/busy"), 409)
    assert body["type"].endswith("program-has-data") and body["contacts"] == 1
    assert_problem(manage.call("delete", "/programs/busy?confirm=other"), 422, "confirm")
    assert Program.objects.filter(slug="busy").exists()
    assert manage.call("delete", "/programs/busy?confirm=busy").status_code == 204
    assert not Program.objects.filter(slug="busy").exists()


# Reward rules


def test_reward_rule_crud_with_audit(manage: ManageClient) -> None:
    program = ProgramFactory(slug="shop", rules=False)
    created = manage.call(
        "post",
        "/programs/shop/reward-rules",
        {"side": "referrer", "kind": "fixed_amount", "value": "10.00", "labels": {"fr": "10 €"}},
    )
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    assert program.rule("referrer").pk == rule_id
    listed = manage.call("get", "/programs/shop/reward-rules").json()
    assert [r["id"] for r in listed] == [rule_id] and listed[0]["value"] == "10.00"
    patched = manage.call("patch", f"/programs/shop/reward-rules/{rule_id}", {"value": 15})
    assert patched.json()["value"] == "15.00"
    assert manage.call("delete", f"/programs/shop/reward-rules/{rule_id}").status_code == 204
    assert not RewardRule.objects.filter(pk=rule_id).exists()
    actions = AuditEvent.objects.filter(program=program, actor=manage.actor)
    assert set(actions.values_list("action", flat=True)) == {
        "reward_rule.created",
        "reward_rule.updated",
        "reward_rule.deleted",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"side": "referrer", "kind": "cash"}, "kind"),
        ({"side": "friend", "kind": "manual"}, "side"),
        ({"side": "referrer", "kind": "manual", "value": ""}, "value"),
        ({"side": "referrer", "kind": "manual", "value": "-1"}, "value"),
        ({"side": "referrer", "kind": "manual", "validity_days": 99999}, "validity_days"),
    ],
)
def test_reward_rule_bad_input_stores_nothing(
    manage: ManageClient, body: dict[str, Any], field: str
) -> None:
    ProgramFactory(slug="shop", rules=False)
    assert_problem(manage.call("post", "/programs/shop/reward-rules", body), 422, field)
    assert not RewardRule.objects.exists()


def test_a_rule_of_another_program_is_404(manage: ManageClient) -> None:
    ProgramFactory(slug="shop")
    other = RewardRuleFactory(program=ProgramFactory())
    path = f"/programs/shop/reward-rules/{other.pk}"
    assert_problem(manage.call("get", path), 404, "rule_id")
    assert_problem(manage.call("patch", path, {"value": 1}), 404, "rule_id")
    assert_problem(manage.call("delete", path), 404, "rule_id")
    other.refresh_from_db()
    assert other.value == 10


def test_the_owner_email_is_set_read_and_checked(manage: ManageClient) -> None:
    body = {"name": "Shop", "slug": "shop", "owner_email": "owner@shop.example"}
    response = manage.call("post", "/programs", body)
    assert response.status_code == 201, response.content
    assert response.json()["owner_email"] == "owner@shop.example"
    assert Program.objects.get(slug="shop").owner_email == "owner@shop.example"
    assert_problem(
        manage.call("patch", "/programs/shop", {"owner_email": "nope"}), 422, "owner_email"
    )
    assert manage.call("patch", "/programs/shop", {"owner_email": ""}).json()["owner_email"] == ""
    assert Program.objects.get(slug="shop").owner_email == ""
