"""The public widget API during a boosted offer, and the contests a signed-in customer
takes part in (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from parrain.core.api import widget as widget_api
from parrain.core.identity import sign_identity
from parrain.core.models import Boost, Contact, Contest, ContestOptIn, Program, RewardRule
from parrain.core.models.choices import RewardKind, Side
from parrain.core.models.contest import ContestStatus, TicketSource
from parrain.core.services import contests
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from tests.api.conftest import assert_problem
from tests.widget.conftest import Widget

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_boost(program: Program, start: datetime, end: datetime, *, welcome: bool = True) -> Boost:
    referrer_rule = RewardRule.objects.create(
        program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=Decimal("20")
    )
    referee_rule = (
        RewardRule.objects.create(
            program=program, side=Side.REFEREE, kind=RewardKind.PERCENTAGE, value=Decimal("25")
        )
        if welcome
        else None
    )
    return Boost.objects.create(
        program=program,
        name="Christmas",
        labels={"en": "Double reward until Sunday", "fr": "Récompense doublée"},
        starts_at=start,
        ends_at=end,
        referrer_rule=referrer_rule,
        referee_rule=referee_rule,
    )


def config(widget: Widget, lang: str = "en") -> dict[str, Any]:
    response = widget.get(f"/config?lang={lang}")
    assert response.status_code == 200, response.content
    return response.json()


def another_process_asks(widget: Widget) -> dict[str, Any]:
    """A request served by a process whose memo is empty: it reads the shared cache."""
    widget_api._configs.forget()
    return config(widget)


# Configuration


def test_config_without_a_boost_shows_the_normal_offer(widget: Widget) -> None:
    body = config(widget)
    assert body["boost"] is None
    assert (body["referrer_reward"], body["welcome_offer"]) == ("€10 off", "15% off")
    assert (body["normal_referrer_reward"], body["normal_welcome_offer"]) == (
        "€10 off",
        "15% off",
    )


def test_config_during_a_boost_shows_it_with_its_end_and_the_normal_offer_to_return_to(
    widget: Widget, program: Program
) -> None:
    make_boost(program, NOW - timedelta(hours=1), NOW + timedelta(days=2))
    body = config(widget)
    assert body["boost"] == {
        "label": "Double reward until Sunday",
        "ends_at": "2026-12-06T10:00:00Z",
        "referrer_reward": "€20 off",
        "welcome_offer": "25% off",
        "welcome_label": "Boosted welcome offer",
    }
    assert (body["referrer_reward"], body["welcome_offer"]) == ("€20 off", "25% off")
    assert (body["normal_referrer_reward"], body["normal_welcome_offer"]) == (
        "€10 off",
        "15% off",
    )
    assert config(widget, "fr")["boost"]["label"] == "Récompense doublée"


def test_a_boost_without_its_own_welcome_offer_keeps_the_normal_one(
    widget: Widget, program: Program
) -> None:
    make_boost(program, NOW, NOW + timedelta(days=1), welcome=False)
    body = config(widget)
    assert body["boost"]["welcome_offer"] == body["welcome_offer"] == "15% off"
    assert body["referrer_reward"] == "€20 off"
    # the referee widget reads no label: the boost is not the friends' business
    assert body["boost"]["welcome_label"] == ""


def test_the_cached_config_shows_a_boost_from_its_first_second(
    widget: Widget, program: Program, _clock: Any
) -> None:
    # Given a boost starting in 20 s and the configuration cached before it
    make_boost(program, NOW + timedelta(seconds=20), NOW + timedelta(days=1))
    assert config(widget)["boost"] is None
    # When the start has passed, the shared cache no longer holds the old offer
    _clock.shift(timedelta(seconds=21))
    body = another_process_asks(widget)
    assert body["boost"]["label"] == "Double reward until Sunday"
    assert body["referrer_reward"] == "€20 off"


def test_the_cached_config_drops_a_boost_at_its_end(
    widget: Widget, program: Program, _clock: Any
) -> None:
    make_boost(program, NOW - timedelta(days=1), NOW + timedelta(seconds=5))
    assert config(widget)["boost"] is not None
    _clock.shift(timedelta(seconds=5))
    body = another_process_asks(widget)
    assert body["boost"] is None and body["referrer_reward"] == "€10 off"


def test_a_boost_created_now_shows_at_once(widget: Widget, program: Program) -> None:
    assert config(widget)["boost"] is None
    make_boost(program, NOW, NOW + timedelta(hours=2))
    assert config(widget)["boost"]["ends_at"] == "2026-12-04T12:00:00Z"


def test_the_cache_lifetime_stops_at_the_next_boost_boundary(program: Program) -> None:
    from parrain.core.services.boosts import offer_view

    assert widget_api.config_lifetime(program, offer_view(program, "en"), NOW) == 60
    make_boost(program, NOW + timedelta(seconds=12.5), NOW + timedelta(hours=1))
    assert widget_api.config_lifetime(program, offer_view(program, "en"), NOW) == 13
    later = NOW + timedelta(minutes=59, seconds=30)
    assert widget_api.config_lifetime(program, offer_view(program, "en", later), later) == 30


# Referee side


def test_code_lookup_shows_the_boosted_welcome_offer_and_the_normal_one(
    widget: Widget, program: Program
) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    make_boost(program, NOW, NOW + timedelta(days=1))
    body = widget.get(f"/codes/{code}?lang=en").json()
    assert body["welcome_offer"] == "25% off" and body["normal_welcome_offer"] == "15% off"
    assert body["boost"]["welcome_label"] == "Boosted welcome offer"


def test_code_lookup_hides_a_boost_of_the_referrer_reward_only_from_the_friend(
    widget: Widget, program: Program
) -> None:
    """The friend must not read « Double reward: €20 per friend », the referrer's side."""
    code = enrol_referrer(program, "alice@example.com").code
    make_boost(program, NOW, NOW + timedelta(days=1), welcome=False)
    body = widget.get(f"/codes/{code}?lang=en").json()
    assert body["boost"] is None
    assert body["welcome_offer"] == body["normal_welcome_offer"] == "15% off"


def test_code_lookup_after_the_boost_shows_the_normal_welcome_offer(
    widget: Widget, program: Program
) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    make_boost(program, NOW - timedelta(days=2), NOW - timedelta(seconds=1))
    body = widget.get(f"/codes/{code}?lang=en").json()
    assert body["welcome_offer"] == "15% off" and body["boost"] is None


def test_a_friend_claiming_during_a_boost_gets_the_boosted_welcome_offer(
    widget: Widget, program: Program
) -> None:
    code = enrol_referrer(program, "alice@example.com").code
    make_boost(program, NOW - timedelta(hours=1), NOW + timedelta(days=1))
    response = widget.post(
        "/claims?lang=en", {"code": code, "email": "bob@example.com", "consent": False}
    )
    assert response.status_code == 200, response.content
    assert response.json()["welcome"]["offer"] == "25% off"


# Signed-in referrer: boost and contests


def token(program: Program, email: str = "alice@example.com") -> str:
    return sign_identity(program, email, first_name="Alice")


def make_contest(program: Program, **fields: Any) -> Contest:
    values: dict[str, Any] = {
        "program": program,
        "name": "Christmas draw",
        "names": {"fr": "Grand tirage de Noël", "en": "Christmas draw"},
        "rules_texts": {"en": "One ticket per invitation."},
        "status": ContestStatus.OPEN,
        "entries_start": NOW - timedelta(days=1),
        "entries_end": NOW + timedelta(days=10),
        "draw_at": NOW + timedelta(days=11),
        "ticket_source": TicketSource.INVITATION_SENT,
        "ticket_cap": 2,
        "commitment": "0" * 64,
        "opened_at": NOW - timedelta(days=1),
    }
    values.update(fields)
    return Contest.objects.create(**values)


def alice_invites(program: Program, friends: int) -> Contact:
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):  # inside the period
        alice = enrol_referrer(program, "alice@example.com", first_name="Alice").contact
        invite_by_email(alice, [f"friend{n}@example.com" for n in range(friends)])
    return alice


def test_me_shows_the_running_boost_and_the_reward_after_it(
    widget: Widget, program: Program
) -> None:
    make_boost(program, NOW - timedelta(hours=1), NOW + timedelta(days=1))
    body = widget.post("/me?lang=en", {"identity": token(program)}).json()
    assert body["referrer_reward"] == "€20 off"
    assert body["normal_referrer_reward"] == "€10 off"
    assert body["boost"]["label"] == "Double reward until Sunday"
    assert body["boost"]["ends_at"] == "2026-12-05T10:00:00Z"


def test_me_lists_the_contests_with_the_customer_s_tickets_capped(
    widget: Widget, program: Program
) -> None:
    contest = make_contest(program)
    alice_invites(program, 3)
    body = widget.post("/me?lang=en", {"identity": token(program)}).json()
    alice = Contact.objects.get(program=program, email="alice@example.com")
    assert body["contests"] == [
        {
            "id": contest.public_id,
            "name": "Christmas draw",
            "status": "open",
            "tickets": 2,
            "cap": 2,
            "opt_in_required": False,
            "opted_in": True,
            "entrant": contests.entrant_id(contest, alice.pk),  # their line in the file
            "entries_start": "2026-12-03T10:00:00Z",
            "entries_end": "2026-12-14T10:00:00Z",
            "draw_at": "2026-12-15T10:00:00Z",
            "url": f"https://shop.example/contest/{contest.public_id}/",
        }
    ]
    french = widget.post("/me?lang=fr", {"identity": token(program)}).json()
    assert french["contests"][0]["name"] == "Grand tirage de Noël"


def test_me_leaves_out_draft_contests_and_other_programs_contests(
    widget: Widget, program: Program
) -> None:
    from parrain.core.factories import ProgramFactory

    make_contest(program, status=ContestStatus.DRAFT, commitment="", opened_at=None)
    make_contest(ProgramFactory())
    body = widget.post("/me?lang=en", {"identity": token(program)}).json()
    assert body["contests"] == []


def test_opt_in_records_the_customer_s_agreement_once(widget: Widget, program: Program) -> None:
    contest = make_contest(program, opt_in_required=True)
    alice_invites(program, 1)
    before = widget.post("/me?lang=en", {"identity": token(program)}).json()["contests"][0]
    assert before["opt_in_required"] is True and before["opted_in"] is False

    path = f"/contests/{contest.public_id}/opt-in?lang=en"
    first = widget.post(path, {"identity": token(program)})
    second = widget.post(path, {"identity": token(program)})

    assert first.status_code == second.status_code == 200, first.content
    assert first.json()["opted_in"] is True and first.json()["tickets"] == 1
    assert ContestOptIn.objects.filter(contest=contest).count() == 1
    after = widget.post("/me?lang=en", {"identity": token(program)}).json()["contests"][0]
    assert after["opted_in"] is True


def test_opt_in_to_an_unknown_closed_or_foreign_contest_is_a_404_and_records_nothing(
    widget: Widget, program: Program
) -> None:
    from parrain.core.factories import ProgramFactory

    drawn = make_contest(program, opt_in_required=True, status=ContestStatus.DRAWN)
    foreign = make_contest(ProgramFactory(), opt_in_required=True)
    for public_id in ("nope", drawn.public_id, foreign.public_id):
        response = widget.post(
            f"/contests/{public_id}/opt-in?lang=en", {"identity": token(program)}
        )
        assert_problem(response, 404, "public_id")
    assert not ContestOptIn.objects.exists()


def test_opt_in_needs_a_valid_identity_token(widget: Widget, program: Program) -> None:
    contest = make_contest(program, opt_in_required=True)
    response = widget.post(f"/contests/{contest.public_id}/opt-in", {"identity": "forged"})
    assert_problem(response, 401)
    assert not ContestOptIn.objects.exists()
