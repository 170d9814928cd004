"""The public contest page and its public API twin: rules, dates, countdown, commitment;
after the draw the winners (first name + initial only) and the verification data. A draft
is a 404."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.services import contest_setup, contests

from .contest_helpers import converted_friends, make_contest

pytestmark = pytest.mark.django_db
ORIGIN = "https://shop.example"


@pytest.fixture
def program():
    return ProgramFactory(languages=["fr", "en"], default_language="fr")


@pytest.fixture
def opened(program):
    return contest_setup.open_contest(make_contest(program), actor="t")


def page(contest, language: str, **extra):
    return Client().get(f"/contest/{contest.public_id}/", HTTP_ACCEPT_LANGUAGE=language, **extra)


def public_api(program, contest, **query):
    return Client().get(
        f"/api/v1/public/{program.public_key}/contests/{contest.public_id}",
        query,
        HTTP_ORIGIN=ORIGIN,
    )


def test_draft_is_not_found(program):
    draft = make_contest(program)
    assert page(draft, "en").status_code == 404
    response = public_api(program, draft)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_cancelled_draft_stays_hidden_but_a_cancelled_open_contest_shows(program, opened):
    hidden = contest_setup.cancel_contest(make_contest(program), actor="t")
    assert page(hidden, "en").status_code == 404
    contest_setup.cancel_contest(opened, actor="t")
    assert page(opened, "en").status_code == 200


def test_open_contest_page_in_english(opened):
    response = page(opened, "en")

    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert "Summer prize draw" in html and "Rules: one ticket." in html
    assert "Entries close in" in html and "data-parrain-ends-at" in html
    assert opened.commitment in html
    assert opened.server_seed not in html
    assert "drand round 5000000" in html
    assert "Weekend for two" in html and "Voucher × 2" in html


def test_open_contest_page_in_french(opened):
    response = page(opened, "fr")

    html = response.content.decode()
    assert response["Content-Language"] == "fr" and '<html lang="fr">' in html
    assert "Grand tirage d&#x27;été" in html and "Règlement : un ticket par ami." in html


def test_language_outside_the_program_falls_back_to_its_default(opened):
    assert page(opened, "de")["Content-Language"] == "fr"
    assert page(opened, "de", QUERY_STRING="lang=en")["Content-Language"] == "en"


def test_public_api_shows_the_commitment_but_not_the_seed(program, opened):
    body = public_api(program, opened, lang="en").json()
    assert body["name"] == "Summer prize draw" and body["rules_text"] == "Rules: one ticket."
    assert body["commitment"] == opened.commitment
    assert body["server_seed"] is None and body["winners"] == []
    assert body["prizes"] == [
        {"label": "Weekend for two", "quantity": 1},
        {"label": "Voucher", "quantity": 2},
    ]
    french = public_api(program, opened, lang="fr").json()
    assert french["name"] == "Grand tirage d'été"


def test_other_programs_key_does_not_show_the_contest(opened):
    other = ProgramFactory()
    assert public_api(other, opened).status_code == 404


# After the draw (services.contests, built in i12-contest-core)


@pytest.fixture
def drawn(program):
    contest = contest_setup.open_contest(
        make_contest(program, prizes=[{"label": "Bike", "quantity": 2}]), actor="t"
    )
    with time_machine.travel(contest.entries_start + timedelta(hours=1)):
        converted_friends(
            program,
            {"alice@example.com": 2, "bob@example.com": 1},
            **{"alice@example.com": "Alice", "bob@example.com": "Bob"},
        )
    with time_machine.travel(contest.draw_at + timedelta(minutes=1)):
        contests.draw(contest, "round-7-randomness", actor="t")
    contest.refresh_from_db()
    return contest


def test_drawn_page_shows_winners_as_first_name_and_initial_only(drawn):
    html = page(drawn, "en").content.decode()

    assert "Alice M." in html and "Bob M." in html
    assert "Martin" not in html and "alice@example.com" not in html
    assert drawn.server_seed in html and "round-7-randomness" in html
    assert drawn.entries_hash in html
    assert f"/contest/{drawn.public_id}/entries.csv" in html
    assert "python -m parrain.core.draw_verify entries.csv --seed" in html
    assert "fair-draw.md" in html


def test_drawn_public_api_and_entries_file_verify(program, drawn):
    body = public_api(program, drawn, lang="en").json()
    assert body["server_seed"] == drawn.server_seed
    assert hashlib.sha256(body["server_seed"].encode()).hexdigest() == body["commitment"]
    assert sorted(w["name"] for w in body["winners"]) == ["Alice M.", "Bob M."]
    entries = Client().get(f"/contest/{drawn.public_id}/entries.csv")
    assert entries.status_code == 200
    assert hashlib.sha256(entries.content).hexdigest() == body["entries_hash"]


def test_entries_file_is_not_public_while_entries_are_open(opened):
    assert Client().get(f"/contest/{opened.public_id}/entries.csv").status_code == 404


def test_entries_file_and_hash_are_public_once_frozen_before_the_draw(program, opened):
    """At the end of the entries the file is frozen and published, before the draw date and
    so before the public value exists; the seed stays secret until the draw."""
    with time_machine.travel(opened.entries_start + timedelta(hours=1)):
        converted_friends(program, {"alice@example.com": 2})
    with time_machine.travel(opened.entries_end + timedelta(minutes=1)):
        contests.freeze_due_entries()
    opened.refresh_from_db()
    html = page(opened, "en").content.decode()
    assert opened.entries_hash and opened.entries_hash in html
    assert opened.server_seed not in html
    entries = Client().get(f"/contest/{opened.public_id}/entries.csv")
    assert entries.status_code == 200
    assert hashlib.sha256(entries.content).hexdigest() == opened.entries_hash
    body = public_api(program, opened, lang="en").json()
    assert body["entries_hash"] == opened.entries_hash and body["server_seed"] is None


def test_published_command_reproduces_the_winners(program, drawn, tmp_path, capsys):
    import shlex

    from parrain.core import draw_verify

    body = public_api(program, drawn, lang="en").json()
    (tmp_path / "entries.csv").write_bytes(Client().get(body["entries_url"]).content)
    argv = shlex.split(body["verify_command"])[3:]  # after "python -m parrain.core.draw_verify"
    argv[0] = str(tmp_path / "entries.csv")

    assert draw_verify.main(argv) == 0

    printed = capsys.readouterr().out
    assert "commitment: OK" in printed and "entries hash: OK" in printed
    picked = [line.split(": ")[1].split(" ")[0] for line in printed.splitlines() if "pick " in line]
    assert picked == [w["entrant"] for w in body["winners"]]
