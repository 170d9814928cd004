"""Outbound ``contest.opened`` / ``contest.drawn``: what a shop's server receives."""

from __future__ import annotations

import pytest

from parrain.core import signals
from parrain.core.models import Program, TicketSource
from parrain.core.services import contests
from parrain.plugins.generic_webhook.models import OutboundEndpoint, OutboundMessage
from tests.core.contest_helpers import invite, open_contest, referrer
from tests.core.test_contests import IN, START, _draw, _redraw

pytestmark = pytest.mark.django_db


def _payloads(event_type: str) -> list[dict]:
    found = OutboundMessage.objects.filter(event_type=event_type).order_by("pk")
    return [m.payload["data"] for m in found]


def test_opening_and_drawing_send_the_commitment_then_the_verification_data(program: Program):
    OutboundEndpoint.objects.create(program=program, url="https://hooks.shop.example/parrain")
    contest = open_contest(
        program, start=START, ticket_source=TicketSource.INVITATION_SENT, prizes=[("Mug", 1, None)]
    )
    alice, bob = referrer(program, first_name="Alice"), referrer(program)
    invite(program, alice, IN)
    invite(program, bob, IN)

    signals.contest_opened.send(Program, contest=contest)  # as contest_setup.open_contest does
    result = _draw(contest, public="drand 5000000")
    second = _redraw(result.winners[0])

    [opened] = _payloads("contest.opened")
    assert opened["commitment"] == contest.commitment and opened["draw"] is None
    assert contest.server_seed not in str(opened)
    drawn, redrawn = _payloads("contest.drawn")
    contest.refresh_from_db()
    assert drawn["draw"] == {
        "drawn_at": contest.drawn_at.isoformat(),
        "algorithm": "parrain-draw-v1",
        "seed": contest.server_seed,
        "public_value": "drand 5000000",
        "entries_hash": contest.entries_hash,
        "entries_count": 2,
        "tickets_total": 2,
    }
    assert drawn["redraw"] is False
    [winner] = drawn["winners"]
    assert (winner["pick"], winner["entrant"]) == (0, result.winners[0].entry.entrant)
    assert winner["prize"] == {"position": 1, "label": "Mug"}
    assert redrawn["redraw"] is True
    assert [w["pick"] for w in redrawn["winners"]] == [second.pick] == [1]
    assert contests.live_winners(contest) == [second]
