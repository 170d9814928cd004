"""docs/fair-draw.md's worked example: every value it shows is the one the verifier computes.

A participant checks a draw by hand with that page, so a wrong digit there would make an
honest draw look rigged. The values live here once; the tests recompute them and check
that the page prints them.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import subprocess  # nosec B404 # runs openssl/sha256sum/bc on fixed arguments
from pathlib import Path

import pytest

from parrain.core import draw_verify

DOC = Path(__file__).resolve().parents[2] / "docs" / "fair-draw.md"

SEED = "4cea362702ae965c9e3d97bc533d3ec513d1717afd803aad2b2a2031a8d525a4"
COMMITMENT = "2230be51434cafc7f46678aaa78d4557a78642f8af5f83e9a5aa8263bb9fa6c5"
PUBLIC = "25f9352cb2446ab2b05468f44af843bd486146b53e063def8ba086b34c0b197e"
ENTRIES = (
    b"entrant,tickets\n"
    b"7c93f5e02e193e49c931,5\n"
    b"8545331c5b67f08d377e,2\n"
    b"a4a763bbf73f60d06c61,3\n"
    b"ffe3f5efc179d79479f6,1\n"
)
ENTRIES_HASH = "97407faf45f4047a75e5f0060017da1eeeb35505e2574fd7adc1093287b4a08f"
# (pick, HMAC hex, T, x, winner): two prizes, then one redraw.
H0 = "6377b2ec5eac597aa60b28071e2fde3538483ae24fc784fd7fad634a268dea5e"
H1 = "5c43958979657eb661f4999c22d3082d8595ce143926301a34a771a251ef7f4f"
H2 = "9dd8d7e0f8b15511b7b1148037afb506c0e0154b8b34dc22fc298d726fa2f97e"
PICKS = [
    (0, H0, 11, 7, "a4a763bbf73f60d06c61"),
    (1, H1, 8, 7, "ffe3f5efc179d79479f6"),
    (2, H2, 7, 6, "8545331c5b67f08d377e"),
]


def pick_by_hand(pool: list[tuple[str, int]], i: int) -> tuple[str, int, int, str]:
    """The page's procedure, step by step (independent of core/draw_verify)."""
    text = f"{PUBLIC}|{ENTRIES_HASH}|{i}".encode()
    h = hmac.new(bytes.fromhex(SEED), text, hashlib.sha256).hexdigest()
    total = sum(tickets for _, tickets in pool)
    x = int(h, 16) % total
    running = 0
    for entrant, tickets in pool:
        running += tickets
        if running > x:
            return h, total, x, entrant
    raise AssertionError("the walk always ends before the pool does")


def test_commitment_and_entries_hash_are_the_pages() -> None:
    assert hashlib.sha256(SEED.encode("ascii")).hexdigest() == COMMITMENT
    assert hashlib.sha256(ENTRIES).hexdigest() == ENTRIES_HASH


def test_each_pick_of_the_example_by_hand() -> None:
    pool = [(line.split(",")[0], int(line.split(",")[1])) for line in ENTRIES.decode().split()[1:]]
    for i, h, total, x, winner in PICKS:
        assert pick_by_hand(pool, i) == (h, total, x, winner)
        pool = [entry for entry in pool if entry[0] != winner]


def test_the_page_prints_every_value() -> None:
    page = DOC.read_text(encoding="utf-8")
    for value in (SEED, COMMITMENT, PUBLIC, ENTRIES_HASH, ENTRIES.decode()):
        assert value in page
    for _, h, total, x, winner in PICKS:
        assert h in page
        assert str(int(h, 16)) in page
        assert f"x = h mod {total} = {x}" in page
        assert f"`{winner}`" in page


def test_the_verifier_computes_every_value_of_the_example() -> None:
    rows = draw_verify.parse_entries(ENTRIES)
    assert draw_verify.commitment_of(SEED) == COMMITMENT
    assert draw_verify.entries_hash(ENTRIES) == ENTRIES_HASH
    tickets = [count for _, count in rows]
    chain = draw_verify.draw_chain(tickets, SEED, PUBLIC, ENTRIES_HASH, len(PICKS))
    assert [rows[position][0] for position in chain] == [pick[4] for pick in PICKS]
    left = list(tickets)
    for i, h, total, x, winner in PICKS:
        number = draw_verify.pick_number(SEED, PUBLIC, ENTRIES_HASH, i)
        assert (f"{number:064x}", sum(left), number % sum(left)) == (h, total, x)
        pool = [(n, count) for n, count in enumerate(left) if count]
        walked = draw_verify.walk_pick([count for _, count in pool], x)
        assert rows[pool[walked][0]][0] == winner
        left[pool[walked][0]] = 0


def test_the_verifier_prints_what_the_page_shows(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    entries = tmp_path / "entries.csv"
    entries.write_bytes(ENTRIES)
    arguments = [str(entries), "--seed", SEED, "--public", PUBLIC, "--commitment", COMMITMENT]
    status = draw_verify.main([*arguments, "--hash", ENTRIES_HASH, "--picks", "3"])
    printed = capsys.readouterr().out
    assert status == 0
    assert f"```\n{printed}```" in DOC.read_text(encoding="utf-8")


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("openssl", "sha256sum", "bc")),
    reason="needs openssl, sha256sum and bc",
)
def test_the_shell_commands_of_the_page(tmp_path: Path) -> None:
    (tmp_path / "entries.csv").write_bytes(ENTRIES)
    script = f"""
        SEED={SEED}; PUBLIC={PUBLIC}
        printf '%s' "$SEED" | sha256sum
        sha256sum entries.csv
        HASH=$(sha256sum entries.csv | cut -d' ' -f1)
        printf '%s' "$PUBLIC|$HASH|0" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$SEED
        H={PICKS[0][1]}
        printf 'ibase=16\\nh=%s\\nibase=A\\nh %% 11\\n' "$(echo $H | tr a-f A-F)" | bc
    """
    lines = subprocess.run(  # nosec B603 B607 # a fixed script, the tools from PATH
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines[0].startswith(COMMITMENT)
    assert lines[1].startswith(ENTRIES_HASH)
    assert lines[2].endswith(PICKS[0][1])
    assert lines[3] == str(PICKS[0][3])
