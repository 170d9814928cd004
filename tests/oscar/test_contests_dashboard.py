"""Contests in Oscar's dashboard: list, the core's form with its prizes, opening with a
confirmation, entries, the draw with its confirmation step, winners (redraw, delivered)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, TestCase
from django.utils import timezone
from oscar.test.factories import UserFactory

from parrain.core.models import AuditEvent, Contest, ContestEntry, ContestWinner, Program
from parrain.core.models.contest import ContestStatus, WinnerStatus
from parrain.core.services import contest_setup, contests
from tests.core.contest_helpers import invite, make_contest, referrer
from tests.core.contest_helpers import open_contest as open_ready

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
BASE = "/shop/dashboard/referral/contests/"


def opened(program: Program, **extra: Any) -> Contest:
    return contest_setup.open_contest(make_contest(program, **extra), actor="tests")


def signed_in(language: str = "en", **user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(UserFactory(**user))
    return client


@pytest.fixture
def staff() -> Client:
    return signed_in(is_staff=True, is_superuser=True)


def form_data(**extra: str) -> dict[str, str]:
    start = timezone.now().astimezone(timezone.get_default_timezone()) + timedelta(days=1)
    day = start.replace(tzinfo=None)
    data = {
        "name": "Winter draw",
        "name_fr": "Tirage d'hiver",
        "rules_fr": "Un ticket par ami converti.",
        "rules_url": "",
        "entries_start": day.strftime("%Y-%m-%dT%H:%M"),
        "entries_end": (day + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "draw_at": (day + timedelta(days=8)).strftime("%Y-%m-%dT%H:%M"),
        "participants": "referrers",
        "ticket_source": "friend_converted",
        "badge_tickets": "1",
        "ticket_cap": "5",
        "public_value_source": "drand round 6000000",
        "prizes-TOTAL_FORMS": "2",
        "prizes-INITIAL_FORMS": "0",
        "prizes-MIN_NUM_FORMS": "0",
        "prizes-MAX_NUM_FORMS": "1000",
        "prizes-0-label": "Bike",
        "prizes-0-quantity": "1",
        "prizes-0-reward_kind": "",
        "prizes-0-ORDER": "2",
        "prizes-1-label": "Voucher",
        "prizes-1-quantity": "3",
        "prizes-1-reward_kind": "fixed_amount",
        "prizes-1-reward_value": "15",
        "prizes-1-ORDER": "1",
    }
    data.update(extra)
    return data


def test_contest_pages_are_for_staff_with_the_contest_permissions(program: Program) -> None:
    contest = make_contest(program)
    pages = [BASE, f"{BASE}{contest.pk}/", f"{BASE}new/", f"{BASE}{contest.pk}/open/"]
    for page in pages:
        anonymous = Client().get(page)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/shop/dashboard/login/")
    customer, plain_staff = signed_in(), signed_in(is_staff=True)
    for client in (customer, plain_staff):
        for page in pages:
            response = client.get(page)
            assert response.status_code == 403
            assert "Summer draw" not in response.content.decode()
        client.post(f"{BASE}new/", form_data())
        client.post(f"{BASE}{contest.pk}/open/")
        client.post(f"{BASE}{contest.pk}/draw/", {"public_value": "42", "confirm": "on"})
    assert Contest.objects.get().status == ContestStatus.DRAFT


def test_viewer_sees_contests_but_cannot_open_or_draw_them(program: Program) -> None:
    contest = make_contest(program)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_contest"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(viewer)

    assert "Summer draw" in client.get(BASE).content.decode()
    assert client.post(f"{BASE}{contest.pk}/open/").status_code == 403
    assert client.get(f"{BASE}new/").status_code == 403
    contest.refresh_from_db()
    assert contest.status == ContestStatus.DRAFT and not contest.commitment


def test_list_shows_status_period_and_the_frozen_counts_of_a_drawn_contest(
    program: Program, staff: Client
) -> None:
    make_contest(program, name="Draft one")
    drawn = make_contest(program, name="Past draw")
    Contest.objects.filter(pk=drawn.pk).update(
        status=ContestStatus.DRAWN, entries_count=3, tickets_total=12
    )

    page = staff.get(BASE).content.decode()

    assert "2 contests" in page
    assert "Draft one" in page and "Past draw" in page
    assert 'data-status="draft">Draft<' in page
    assert 'data-status="drawn">Drawn<' in page
    assert "<td data-entries>3</td><td data-tickets>12</td>" in page
    nav = staff.get("/shop/dashboard/").content.decode()
    assert 'href="/shop/dashboard/referral/contests/"' in nav


def test_create_with_the_core_form_saves_the_contest_and_its_prizes_in_order(
    program: Program, staff: Client
) -> None:
    form_page = staff.get(f"{BASE}new/", {"program": program.slug}).content.decode()
    assert 'name="prizes-TOTAL_FORMS"' in form_page
    assert "Prizes, in the order they are drawn" in form_page

    response = staff.post(f"{BASE}new/?program={program.slug}", form_data(), follow=True)

    contest = Contest.objects.get()
    assert response.redirect_chain[-1][0] == f"{BASE}{contest.pk}/"
    page = response.content.decode()
    assert "Contest “Winter draw” saved." in page
    assert [p.label for p in contest.prizes.order_by("position")] == ["Voucher", "Bike"]
    assert page.index("Voucher") < page.index("Bike")
    assert "Issued automatically: " in page and "By hand (physical prize)" in page
    assert AuditEvent.objects.filter(action="contest.created").count() == 1


def test_bad_dates_are_a_form_error_and_store_nothing(program: Program, staff: Client) -> None:
    data = form_data()
    data["draw_at"] = data["entries_start"]  # before the end of the entries

    response = staff.post(f"{BASE}new/?program={program.slug}", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "The contest was not saved: see the errors below." in page
    assert 'class="error-block"' in page
    assert not Contest.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="contest.").exists()


def test_editing_an_open_contest_says_what_is_frozen(program: Program, staff: Client) -> None:
    contest = opened(program)
    page = staff.get(f"{BASE}{contest.pk}/edit/").content.decode()
    assert 'id="parrain-contest-locked"' in page
    assert "The contest is open: participants rely on this" in page


def test_opening_asks_for_confirmation_then_publishes_the_commitment(
    program: Program, staff: Client
) -> None:
    contest = make_contest(program)

    confirm = staff.get(f"{BASE}{contest.pk}/open/").content.decode()
    assert "publishes its SHA-256 commitment" in confirm
    assert "drand round 5000000" in confirm
    contest.refresh_from_db()
    assert contest.status == ContestStatus.DRAFT  # GET changes nothing

    opened = staff.post(f"{BASE}{contest.pk}/open/", follow=True)

    contest.refresh_from_db()
    assert contest.status == ContestStatus.OPEN and len(contest.commitment) == 64
    page = opened.content.decode()
    assert "is open; its commitment is published." in page
    assert contest.commitment in page
    assert f'href="/contest/{contest.public_id}/"' in page


def test_a_contest_without_rules_cannot_open(program: Program, staff: Client) -> None:
    contest = make_contest(program, rules_texts={}, rules_url="")
    missing = "Write the rules (in at least one language)"

    confirm = staff.get(f"{BASE}{contest.pk}/open/").content.decode()
    assert missing in confirm
    assert "Open the contest</button>" not in confirm

    response = staff.post(f"{BASE}{contest.pk}/open/")

    assert 400 <= response.status_code < 500
    assert missing in response.content.decode()
    contest.refresh_from_db()
    assert contest.status == ContestStatus.DRAFT and not contest.commitment


def test_contest_pages_speak_french(program: Program) -> None:
    contest = make_contest(program)
    page = signed_in("fr", is_staff=True, is_superuser=True).get(f"{BASE}{contest.pk}/")
    assert page.status_code == 200
    assert "Grand tirage d&#x27;été" in page.content.decode()


def test_unknown_contest_is_a_404(program: Program, staff: Client) -> None:
    assert staff.get(f"{BASE}999999/").status_code == 404
    assert staff.post(f"{BASE}999999/open/").status_code == 404


# --- entries, the draw, winners -----------------------------------------------------------


def drawable(program: Program, friends: list[int], **extra: Any) -> Contest:
    """An open contest whose entries ended two days ago and whose draw date has passed:
    one ticket per invitation sent; one referrer per item of ``friends``, who invited that
    many friends."""
    start = timezone.now() - timedelta(days=3)
    contest = open_ready(
        program,
        start=start,
        days=1,
        ticket_source="invitation_sent",
        prizes=[("Hamper", 1, None), ("Cinema tickets", 2, None)],
        **extra,
    )
    for count in friends:
        sender = referrer(program)
        for _ in range(count):
            invite(program, sender, start + timedelta(hours=1))
    return contest


@pytest.fixture
def ready(program: Program) -> Contest:
    return drawable(program, [1, 2, 3])


def test_entries_page_previews_open_entries_page_by_page_and_exports_them(
    ready: Contest, staff: Client, monkeypatch: Any
) -> None:
    monkeypatch.setattr("parrain.plugins.oscar.dashboard.contests.ENTRIES_PER_PAGE", 2)

    first = staff.get(f"{BASE}{ready.pk}/entries/").content.decode()

    assert "3 entrants" in first
    assert "A preview computed now" in first
    assert first.count("<td data-tickets>") == 2
    second = staff.get(f"{BASE}{ready.pk}/entries/", {"page": 2}).content.decode()
    assert second.count("<td data-tickets>") == 1
    export = staff.get(f"{BASE}{ready.pk}/entries.csv")
    assert export["Content-Type"].startswith("text/csv")
    assert f"contest-{ready.public_id}-entries-preview.csv" in export["Content-Disposition"]
    assert export.content == contests.entries_csv(ready)
    assert export.content.decode().splitlines()[0] == "entrant,tickets"


def test_draw_asks_for_the_public_value_then_a_confirmation_then_draws(
    ready: Contest, staff: Client
) -> None:
    url = f"{BASE}{ready.pk}/draw/"
    form = staff.get(url).content.decode()
    assert "drand round 5000000" in form and ready.commitment in form

    confirm = staff.post(url, {"public_value": "  round 5000000: 8b1f  "})

    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Please confirm: the draw is final" in page
    assert "<code>round 5000000: 8b1f</code>" in page
    assert "One winner is drawn for each of the 3 prize units" in page
    assert 'name="confirm" value="on"' in page
    ready.refresh_from_db()
    assert ready.status == ContestStatus.OPEN and not ContestEntry.objects.exists()

    drawn = staff.post(url, {"public_value": "round 5000000: 8b1f", "confirm": "on"}, follow=True)

    ready.refresh_from_db()
    assert ready.status == ContestStatus.DRAWN
    assert ready.public_value == "round 5000000: 8b1f"
    page = drawn.content.decode()
    assert drawn.redirect_chain[-1][0] == f"{BASE}{ready.pk}/"
    assert "The draw is done: the winners are below." in page
    winners = page.split('id="parrain-contest-winners"')[1].split("</table>")[0]
    assert winners.count("data-winner=") == 3
    assert "Hamper #1" in winners and "Cinema tickets #2" in winners
    assert ready.server_seed in page and ready.entries_hash in page
    assert "3 entrants" in staff.get(f"{BASE}{ready.pk}/entries/").content.decode()
    # drawing again shows the first result, and never draws twice
    again = staff.post(url, {"public_value": "another value", "confirm": "on"}, follow=True)
    assert "This contest had already been drawn" in again.content.decode()
    assert ContestWinner.objects.count() == 3
    ready.refresh_from_db()
    assert ready.public_value == "round 5000000: 8b1f"


def test_draw_without_a_public_value_is_a_form_error(ready: Contest, staff: Client) -> None:
    response = staff.post(f"{BASE}{ready.pk}/draw/", {"public_value": " ", "confirm": "on"})
    assert response.status_code == 400
    assert "Type the public value published by the source." in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == ContestStatus.OPEN


def test_draw_before_the_draw_date_is_refused_and_changes_nothing(
    program: Program, staff: Client
) -> None:
    contest = drawable(program, [1], draw_at=timezone.now() + timedelta(days=1))
    url = f"{BASE}{contest.pk}/draw/"
    assert "The draw cannot be run before" in staff.get(url).content.decode()

    response = staff.post(url, {"public_value": "42", "confirm": "on"})

    assert response.status_code == 409
    assert "the draw cannot happen before it" in response.content.decode()
    contest.refresh_from_db()
    assert contest.status == ContestStatus.OPEN and not contest.public_value
    assert not ContestEntry.objects.exists()


def test_draw_without_entries_is_refused(program: Program, staff: Client) -> None:
    contest = drawable(program, [])
    response = staff.post(f"{BASE}{contest.pk}/draw/", {"public_value": "42", "confirm": "on"})
    assert response.status_code == 409
    assert "Nobody has a ticket: there is nothing to draw." in response.content.decode()
    contest.refresh_from_db()
    assert contest.status == ContestStatus.OPEN


def drawn(contest: Contest) -> list[ContestWinner]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return contests.draw(contest, "round 7", actor="tests").winners


def test_redraw_asks_for_a_reason_then_gives_the_prize_to_the_next_pick(
    program: Program, staff: Client
) -> None:
    ready = drawable(program, [1, 2, 3, 2])
    first = drawn(ready)[0]
    url = f"/shop/dashboard/referral/contests/winners/{first.pk}/redraw/"
    confirm = staff.get(url).content.decode()
    assert "will lose this prize for good" in confirm

    no_reason = staff.post(url, {"reason": ""})
    assert no_reason.status_code == 400
    assert "Say why: the reason is kept in the audit log." in no_reason.content.decode()
    first.refresh_from_db()
    assert first.status != WinnerStatus.UNCLAIMED

    done = staff.post(url, {"reason": "not claimed within 30 days"}, follow=True)

    first.refresh_from_db()
    assert first.status == WinnerStatus.UNCLAIMED
    assert "Prize redrawn: pick 4" in done.content.decode()
    assert ContestWinner.objects.filter(prize=first.prize, unit=first.unit).count() == 2
    assert AuditEvent.objects.filter(action__contains="redraw").exists()
    again = staff.post(url, {"reason": "twice"})
    assert again.status_code == 409
    assert ContestWinner.objects.count() == 4


def test_redraw_when_every_entrant_has_won_is_refused(ready: Contest, staff: Client) -> None:
    first = drawn(ready)[0]
    url = f"/shop/dashboard/referral/contests/winners/{first.pk}/redraw/"

    response = staff.post(url, {"reason": "not claimed"})

    assert response.status_code == 409
    assert "Every entrant has already been picked." in response.content.decode()
    first.refresh_from_db()
    assert first.status != WinnerStatus.UNCLAIMED
    assert ContestWinner.objects.count() == 3


def test_delivered_marks_the_prize_and_refuses_a_redrawn_one(
    program: Program, staff: Client
) -> None:
    first, second = drawn(drawable(program, [1, 2, 3, 2]))[:2]
    base = "/shop/dashboard/referral/contests/winners/"

    staff.post(f"{base}{first.pk}/delivered/")

    first.refresh_from_db()
    assert first.status == WinnerStatus.CLAIMED and first.delivered_at is not None
    contests.redraw(second, actor="tests", reason="gone")
    refused = staff.post(f"{base}{second.pk}/delivered/")
    assert refused.status_code == 409
    assert "This prize was redrawn to someone else." in refused.content.decode()
    second.refresh_from_db()
    assert second.delivered_at is None
