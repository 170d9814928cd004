"""The standalone verifier: standard library only, reproduces the draw, fair by the numbers."""

from __future__ import annotations

import ast
import hashlib
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parrain.core import draw_verify
from parrain.core.models import TicketSource
from parrain.core.services import contests

from .contest_helpers import invite, open_contest, referrer
from .test_contests import AFTER_DRAW, IN, START, _draw

MODULE = Path(draw_verify.__file__)
SEED = "7f" * 32


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def test_the_verifier_imports_only_the_standard_library():
    tree = ast.parse(MODULE.read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    imported.discard("__future__")
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


@pytest.mark.django_db
def test_the_verifier_reproduces_the_winners_from_the_published_data(program_with_draw, tmp_path):
    contest, winners = program_with_draw
    entries = tmp_path / "entries.csv"
    entries.write_bytes(contests.entries_csv(contest))
    # A copy of the file alone, run isolated (-I) and without site-packages (-S): only the
    # standard library and the file's own folder can be imported.
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(MODULE, alone / "draw_verify.py")
    common = [
        str(entries),
        "--seed",
        contest.server_seed,
        "--public",
        contest.public_value,
        "--commitment",
        contest.commitment,
        "--hash",
        contest.entries_hash,
        "--picks",
        str(len(winners)),
    ]

    isolated = _run("-I", "-S", str(alone / "draw_verify.py"), *common, cwd=alone)
    documented = _run("-m", "parrain.core.draw_verify", *common)

    expected = [f"pick {w.pick}: {w.entry.entrant} ({w.entry.tickets} tickets)" for w in winners]
    for result in (isolated, documented):
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert "commitment: OK" in lines[0]
        assert f"entries sha256: {contest.entries_hash}" in lines
        assert [line for line in lines if line.startswith("pick ")] == expected


@pytest.mark.django_db
def test_the_verifier_says_mismatch_for_a_wrong_commitment_or_a_changed_file(
    program_with_draw, tmp_path
):
    contest, _winners = program_with_draw
    data = contests.entries_csv(contest)
    entries = tmp_path / "entries.csv"
    entries.write_bytes(data.replace(b",1\n", b",2\n", 1))
    assert entries.read_bytes() != data  # one ticket changed

    result = _run(
        "-m",
        "parrain.core.draw_verify",
        str(entries),
        "--seed",
        contest.server_seed,
        "--public",
        contest.public_value,
        "--commitment",
        "0" * 64,
        "--hash",
        contest.entries_hash,
    )

    assert result.returncode == 1
    assert "commitment: MISMATCH" in result.stdout
    assert "entries hash: MISMATCH" in result.stdout


@pytest.fixture
def program_with_draw(db):
    from parrain.core.factories import ProgramFactory

    program = ProgramFactory()
    contest = open_contest(
        program,
        start=START,
        ticket_source=TicketSource.INVITATION_SENT,
        prizes=[("Hamper", 2, None), ("Mug", 3, None)],
    )
    for count in (1, 1, 2, 3, 5, 8, 13):
        sender = referrer(program)
        for _ in range(count):
            invite(program, sender, IN)
    result = _draw(contest, public="EuroMillions 24/12: 3 17 22 41 48 ★ 2 9", at=AFTER_DRAW)
    contest.refresh_from_db()
    return contest, result.winners


# --- the algorithm ------------------------------------------------------------------------


def test_entries_file_is_sorted_with_a_newline_after_every_line():
    data = draw_verify.entries_file([("b2", 3), ("0a", 1), ("a1", 0)])

    assert data == b"entrant,tickets\n0a,1\nb2,3\n"
    assert draw_verify.parse_entries(data) == [("0a", 1), ("b2", 3)]
    for bad in (b"entrant,tickets\nb2,3\n0a,1\n", b"entrant,tickets\n0a,01\n", b"x\n"):
        with pytest.raises(draw_verify.EntriesError):
            draw_verify.parse_entries(bad)
    assert draw_verify.parse_entries(b"entrant,tickets\n") == []


def test_the_fenwick_tree_finds_what_the_walk_by_hand_finds():
    rng = random.Random(12)
    tickets = [rng.choice([0, 1, 1, 2, 5, 40]) for _ in range(300)]
    tree = draw_verify.TicketTree(tickets)
    left = list(tickets)
    for _ in range(150):
        x = rng.randrange(tree.total)
        position = tree.find(x)
        assert position == draw_verify.walk_pick(left, x)
        tree.remove(position, left[position])
        left[position] = 0
        assert tree.total == sum(left)


def test_the_chain_matches_the_spec_written_out_in_full():
    tickets = [3, 1, 4, 1, 5]
    digest = hashlib.sha256(b"anything").hexdigest()
    expected, left = [], list(tickets)
    for index in range(len(tickets)):
        x = draw_verify.pick_number(SEED, "public", digest, index) % sum(left)
        position = draw_verify.walk_pick(left, x)
        expected.append(position)
        left[position] = 0

    chain = draw_verify.draw_chain(tickets, SEED, "public", digest, 10)

    assert chain == expected  # every entrant once, then the pool is empty
    assert sorted(chain) == list(range(len(tickets)))


def test_a_hundred_picks_among_a_million_entrants_is_fast():
    import time

    tickets = [1 + (i * 7919) % 5 for i in range(1_000_000)]
    started = time.perf_counter()
    chain = draw_verify.draw_chain(tickets, SEED, "p", "0" * 64, 100)
    assert len(set(chain)) == 100
    assert time.perf_counter() - started < 10  # building the tree is most of it


# Chi-square critical values at the 0.001 level (one-sided), by degrees of freedom.
CHI2_999 = {4: 18.467}


def _chi_square(observed: list[int], expected: list[float]) -> float:
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))


def test_picks_over_100000_draws_follow_the_ticket_weights():
    """The first pick of 100,000 draws with random seeds lands on each entrant in proportion
    to its tickets, and the second pick follows the weights of the entrants left."""
    tickets = [1, 2, 3, 4, 10]
    total = sum(tickets)
    rng = random.Random(20261224)  # the test's own randomness is fixed
    digest = hashlib.sha256(b"entries").hexdigest()
    first, second = [0] * len(tickets), [0] * len(tickets)
    draws = 100_000
    for _ in range(draws):
        seed = f"{rng.getrandbits(256):064x}"
        a, b = draw_verify.draw_chain(tickets, seed, "drand 123", digest, 2)
        first[a] += 1
        second[b] += 1

    expected_first = [draws * t / total for t in tickets]
    expected_second = [
        draws * sum(ti / total * tj / (total - ti) for i, ti in enumerate(tickets) if i != j)
        for j, tj in enumerate(tickets)
    ]
    assert _chi_square(first, expected_first) < CHI2_999[len(tickets) - 1]
    assert _chi_square(second, expected_second) < CHI2_999[len(tickets) - 1]


def test_a_biased_pick_would_fail_the_chi_square_check():
    """The check has teeth: a pick that ignores the weights is rejected."""
    tickets = [1, 2, 3, 4, 10]
    rng = random.Random(1)
    observed = [0] * 5
    for _ in range(100_000):
        observed[rng.randrange(5)] += 1
    expected = [100_000 * t / 20 for t in tickets]
    assert _chi_square(observed, expected) > CHI2_999[4]
