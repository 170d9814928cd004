"""The setup checklist (issue 15 §2): each of the seed's steps turns done as its condition
becomes true, and the widget counts as placed only once a page of an allowed origin
loaded it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from parrain.core.factories import ContactFactory, OrderFactory, ProgramFactory
from parrain.core.models import (
    AuditEvent,
    ContactImport,
    MessageTemplate,
    Program,
    RewardRule,
    ScenarioStep,
)
from parrain.core.models.choices import ImportStatus, RewardKind, Side
from parrain.core.services.setup_checklist import (
    STEPS,
    forget_widget_seen,
    mark_messages_reviewed,
    note_widget_seen,
    setup_checklist,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()
    from parrain.core.api import widget
    from parrain.core.api.origins import forget_programs

    forget_programs()
    widget._configs.forget()


def done(program: Program) -> dict[str, bool]:
    program.refresh_from_db()
    return {step.key: step.done for step in setup_checklist(program).steps}


def test_a_new_program_starts_with_the_defaults_done_and_the_owner_work_to_do() -> None:
    # Given a program as a shop owner creates it: no offer, no landing page
    program = ProgramFactory(rules=False, landing_url="")
    # Then the seed's steps are listed in its order; the defaults (every channel, the
    # default scenario) count, the rest waits for the owner
    checklist = setup_checklist(program)
    assert [step.key for step in checklist.steps] == list(STEPS)
    assert done(program) == {
        "offer": False,
        "landing": False,
        "widget": False,
        "channels": True,
        "scenario": True,
        "messages": False,
        "contacts": False,
    }
    assert checklist.done_count == 2 and not checklist.complete


def test_each_step_turns_done_as_its_condition_becomes_true() -> None:
    program = ProgramFactory(rules=False, landing_url="", share_channels=[])
    ScenarioStep.objects.filter(program=program).update(is_active=False)
    assert not any(done(program).values())
    # The offer needs both sides
    RewardRule.objects.create(
        program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=Decimal(10)
    )
    assert not done(program)["offer"]
    RewardRule.objects.create(
        program=program, side=Side.REFEREE, kind=RewardKind.PERCENTAGE, value=Decimal(15)
    )
    assert done(program)["offer"]
    # The landing page linked
    Program.objects.filter(pk=program.pk).update(landing_url="https://shop.example/p")
    assert done(program)["landing"]
    # The widget seen from an allowed page
    note_widget_seen(program, "https://shop.example")
    assert done(program)["widget"]
    # A channel chosen, a scenario step active
    Program.objects.filter(pk=program.pk).update(share_channels=["email"])
    assert done(program)["channels"]
    first_step = ScenarioStep.objects.filter(program=program).order_by("pk").first()
    ScenarioStep.objects.filter(pk=first_step.pk).update(is_active=True)
    assert done(program)["scenario"]
    # Messages: marked reviewed by the owner (audited)
    mark_messages_reviewed(program, actor="owner")
    assert done(program)["messages"]
    assert AuditEvent.objects.filter(program=program, action="program.messages_reviewed").exists()
    # Contacts: an import finished
    ContactImport.objects.create(program=program, status=ImportStatus.DONE)
    assert all(done(program).values())
    assert setup_checklist(program).complete


def test_a_rule_of_a_badge_or_an_inactive_rule_is_not_the_offer() -> None:
    program = ProgramFactory(rules=False)
    RewardRule.objects.create(
        program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, is_active=False
    )
    RewardRule.objects.create(program=program, side=Side.REFEREE, kind=RewardKind.PERCENTAGE)
    assert not done(program)["offer"]


def test_messages_count_as_reviewed_once_one_is_changed() -> None:
    program = ProgramFactory()
    assert not done(program)["messages"]
    MessageTemplate.objects.create(
        program=program, kind="invitation", channel="email", language="fr", subject="Hello"
    )
    assert done(program)["messages"]


@pytest.mark.parametrize("how", ["order", "shop contact"])
def test_contacts_count_as_connected_when_the_shop_sends_them(how: str) -> None:
    program = ProgramFactory()
    ContactFactory(program=program)  # a referrer from the widget is no connection
    assert not done(program)["contacts"]
    if how == "order":
        OrderFactory(program=program)
    else:
        ContactFactory(program=program, external_id="C-42")
    assert done(program)["contacts"]


def test_the_checklist_takes_one_query_and_carries_each_admins_links() -> None:
    program = ProgramFactory()
    with CaptureQueriesContext(connection) as queries:
        checklist = setup_checklist(program, {"scenario": "/admin/scenario/"})
    assert len(queries) == 1
    by_key = {step.key: step for step in checklist.steps}
    assert by_key["scenario"].url == "/admin/scenario/" and by_key["offer"].url == ""
    with translation.override("en"):
        assert setup_checklist(program).steps[0].title == "Set the offer"


def test_the_widget_config_marks_the_widget_seen_once_a_minute_from_allowed_pages() -> None:
    program = ProgramFactory(allowed_origins=["https://shop.example"])
    client = Client()
    url = f"/api/v1/public/{program.public_key}/config"
    # A refused page, and a page that tells no origin (the admin's preview), do not count
    client.get(url, HTTP_ORIGIN="https://elsewhere.example")
    client.get(url)
    assert not done(program)["widget"]
    # An allowed page does, with its origin
    client.get(url, HTTP_ORIGIN="https://shop.example")
    program.refresh_from_db()
    first = program.widget_first_seen_at
    assert first is not None and program.widget_seen_origin == "https://shop.example"
    # Within the minute, nothing more is written
    client.get(url, HTTP_REFERER="http://testserver/landing/")
    program.refresh_from_db()
    assert program.widget_seen_origin == "https://shop.example"
    # After it, the last sighting moves and the first stays; a same-origin page (no Origin
    # header) is known by its Referer
    forget_widget_seen(program.pk)
    client.get(url, HTTP_REFERER="http://testserver/landing/")
    program.refresh_from_db()
    assert program.widget_seen_origin == "http://testserver"
    assert program.widget_first_seen_at == first <= program.widget_last_seen_at
