"""Programs and their reward rules over the management API (issue 16 §2)."""

from __future__ import annotations

from typing import Any

import pytest

from parrain.core.factories import ContactFactory, ProgramFactory, RewardRuleFactory
from parrain.core.models import AuditEvent, Program, RewardRule

from .conftest import assert_problem
from .manage_client import ManageClient, manage  # noqa: F401

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
