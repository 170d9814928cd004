"""The referrer sees a reward a friend's order earned before it is validated, and until
when (issue 15 §3); the widget writes times in the program's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import time_machine

from parrain.core.identity import sign_identity
from parrain.core.models import Program
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from tests.widget.conftest import Widget

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_me_lists_the_pending_reward_with_its_validation_day(
    widget: Widget, program: Program
) -> None:
    # Given Bob, invited by Alice, ordered today; the program validates after 14 days
    program.validation_delay_days = 14
    program.save(update_fields=["validation_delay_days"])
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice")
    invite_by_email(alice.contact, ["bob@example.org"])
    code = register_referee(program, alice.code, "bob@example.org").reward.code
    order = OrderData(
        external_id="o-1", email="bob@example.org", amount=Decimal("60"), currency="EUR"
    )
    record_order(program, order.model_copy(update={"welcome_code": code}))

    # When Alice opens her widget
    token = sign_identity(program, "alice@example.com", first_name="Alice")
    body = widget.post("/me?lang=en", {"identity": token}).json()

    # Then she sees one reward waiting, what it is and the day it is validated
    assert body["pending"] == [{"reward": "€10 off", "validated_on": "2026-12-18T12:00:00Z"}]


def test_me_without_pending_reward_answers_an_empty_list(widget: Widget, program: Program) -> None:
    enrol_referrer(program, "alice@example.com", first_name="Alice")
    token = sign_identity(program, "alice@example.com", first_name="Alice")
    assert widget.post("/me?lang=fr", {"identity": token}).json()["pending"] == []


def test_config_gives_the_program_time_zone(widget: Widget, program: Program) -> None:
    program.time_zone = "America/Montreal"
    program.save(update_fields=["time_zone"])
    assert widget.get("/config?lang=en").json()["time_zone"] == "America/Montreal"
