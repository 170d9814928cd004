"""Verify a Parrain contest draw with the Python standard library only.

    python -m parrain.core.draw_verify entries.csv --seed SEED --public VALUE \
        [--commitment SHA256] [--hash SHA256] [--picks N]

(This file imports nothing but the standard library: copy it next to the entries file and
``python draw_verify.py entries.csv …`` works just as well.)

Algorithm ``parrain-draw-v1`` (docs/fair-draw.md explains it for participants):

1. At opening the server makes ``seed`` = 32 random bytes written as 64 lowercase hex
   characters and publishes ``commitment = SHA-256(seed as ASCII text)`` (hex).
2. When the entry period ends (before the draw date) the entries file is frozen: UTF-8
   CSV without BOM, header ``entrant,tickets``, then one line per entrant with at least
   one ticket, sorted by ``entrant`` (byte order); every line, the last included, ends
   with ``\n``. An entrant is a lowercase hex pseudonym (no quoting ever needed), tickets
   a decimal integer ≥ 1 without leading zeros. ``entries_hash = SHA-256(file bytes)``
   (hex) is published at once, with the time it was frozen (a draw freezes the file
   itself if that had not happened).
3. The owner types the ``public`` value (named in the rules before opening: a lottery
   result, a drand round's randomness…). It is used exactly as published, as UTF-8 (the
   server strips surrounding blanks when it is typed, before anything is computed).
4. Pick ``i`` (0, 1, 2, …) takes ``h = HMAC-SHA256(key=bytes.fromhex(seed),
   msg=f"{public}|{entries_hash}|{i}" as UTF-8)``, ``x = int(h, big-endian) mod T`` where
   ``T`` is the total tickets of the entrants not picked yet, and walks those entrants in
   file order adding their tickets: the winner is the first whose running sum exceeds
   ``x``. The winner leaves the pool (weighted selection without replacement). The chain
   ends when the pool is empty: with fewer entrants than prize units, the last units stay
   undrawn. (``h`` has 256 bits and ``T`` fewer than 64, so the modulo bias is below
   2^-192.)
5. Prize units are served in prize order, unit by unit: pick 0 is prize 1 unit 1, …
   A redraw (an unclaimed prize) takes the next pick of the same chain.

What it proves: the seed was fixed at opening (commitment), the winners follow from the
published file, seed and public value, and nobody knew the public value at opening. The
entries are frozen and their hash published at the end of the entry period, so with a
public value produced after the draw date (as the rules should name) the owner could not
shape the file knowing the public value either: anyone compares the published freeze time
with the public value's.

The walk of step 4 is what anyone can do by hand; ``draw_chain`` finds the same winner with
a Fenwick tree (prefix sums), so 100 picks among a million entrants take milliseconds.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import sys
from collections.abc import Iterable, Sequence

ALGORITHM = "parrain-draw-v1"
HEADER = b"entrant,tickets\n"


class EntriesError(ValueError):
    """The entries file does not follow step 2 of the algorithm."""


def commitment_of(seed: str) -> str:
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def entries_file(entries: Iterable[tuple[str, int]]) -> bytes:
    """The entries file of step 2 (rows sorted here; already sorted rows cost one pass)."""
    rows = sorted(entries, key=lambda row: row[0].encode("utf-8"))
    lines = [f"{entrant},{tickets}\n" for entrant, tickets in rows if tickets > 0]
    return HEADER + "".join(lines).encode("utf-8")


def entries_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_entries(data: bytes) -> list[tuple[str, int]]:
    """The rows of an entries file, checked against step 2 (so that the hash means it)."""
    if not data.startswith(HEADER) or not data.endswith(b"\n"):
        raise EntriesError("the file must start with 'entrant,tickets' and end with a newline")
    rows: list[tuple[str, int]] = []
    previous = b""
    for number, line in enumerate(data[len(HEADER) : -1].split(b"\n") if data != HEADER else []):
        entrant, comma, tickets = line.partition(b",")
        if not comma or not _is_hex(entrant) or not _is_count(tickets):
            raise EntriesError(f"line {number + 2} is not 'entrant,tickets': {line!r}")
        if entrant <= previous:
            raise EntriesError(f"line {number + 2}: entrants must be sorted and unique")
        previous = entrant
        rows.append((entrant.decode("ascii"), int(tickets)))
    return rows


def _is_hex(value: bytes) -> bool:
    return bool(value) and all(c in b"0123456789abcdef" for c in value)


def _is_count(value: bytes) -> bool:
    return value.isdigit() and not value.startswith(b"0")


def pick_number(seed: str, public: str, entries_sha256: str, index: int) -> int:
    """``int(h)`` of step 4 for pick ``index`` (before the modulo)."""
    message = f"{public}|{entries_sha256}|{index}".encode()
    digest = hmac.new(bytes.fromhex(seed), message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big")


class TicketTree:
    """A Fenwick tree over the tickets in file order: total, find by running sum, remove."""

    def __init__(self, tickets: Sequence[int]) -> None:
        size = len(tickets)
        tree = [0, *tickets]
        for i in range(1, size + 1):
            parent = i + (i & -i)
            if parent <= size:
                tree[parent] += tree[i]
        self.size, self.tree, self.total = size, tree, sum(tickets)
        self.top = 1 << size.bit_length() if size else 0

    def find(self, x: int) -> int:
        """The 0-based position of the first entrant whose running sum exceeds ``x``."""
        position, step, tree = 0, self.top, self.tree
        while step:
            nxt = position + step
            if nxt <= self.size and tree[nxt] <= x:
                position, x = nxt, x - tree[nxt]
            step >>= 1
        return position

    def remove(self, position: int, tickets: int) -> None:
        self.total -= tickets
        i = position + 1
        while i <= self.size:
            self.tree[i] -= tickets
            i += i & -i


def draw_chain(
    tickets: Sequence[int], seed: str, public: str, entries_sha256: str, picks: int
) -> list[int]:
    """The positions (in file order) of picks ``0 … picks-1``; shorter when the pool empties."""
    tree, left = TicketTree(tickets), list(tickets)
    chain: list[int] = []
    for index in range(picks):
        if tree.total <= 0:
            break
        position = tree.find(pick_number(seed, public, entries_sha256, index) % tree.total)
        chain.append(position)
        tree.remove(position, left[position])
        left[position] = 0
    return chain


def walk_pick(tickets: Sequence[int], x: int) -> int:
    """Step 4 by hand (linear walk), for the tests and the curious: same answer as ``find``."""
    running = 0
    for position, count in enumerate(tickets):
        running += count
        if running > x:
            return position
    raise ValueError("x is not below the total")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m parrain.core.draw_verify",
        description=f"Recompute a Parrain contest draw ({ALGORITHM}).",
    )
    parser.add_argument("entries", help="the published entries file (CSV)")
    parser.add_argument("--seed", required=True, help="the server seed published after the draw")
    parser.add_argument("--public", required=True, help="the public value typed at the draw")
    parser.add_argument("--commitment", help="the commitment published at opening, to check")
    parser.add_argument("--hash", help="the published entries hash, to check")
    parser.add_argument("--picks", type=int, default=10, help="how many picks (default 10)")
    args = parser.parse_args(argv)
    seed = args.seed.strip().lower()
    if len(seed) != 64 or not _is_hex(seed.encode("ascii", "replace")):
        parser.error("the seed is 64 hexadecimal characters")
    ok = True
    if args.commitment:
        ok &= _check("commitment", commitment_of(seed), args.commitment)
    with open(args.entries, "rb") as handle:
        data = handle.read()
    try:
        rows = parse_entries(data)
    except EntriesError as error:
        print(f"entries file: {error}")
        return 2
    digest = entries_hash(data)
    print(f"entries sha256: {digest}")
    if args.hash:
        ok &= _check("entries hash", digest, args.hash)
    tickets = [count for _entrant, count in rows]
    print(f"entrants: {len(rows)}, tickets: {sum(tickets)}")
    for index, position in enumerate(draw_chain(tickets, seed, args.public, digest, args.picks)):
        entrant, count = rows[position]
        print(f"pick {index}: {entrant} ({count} tickets)")
    return 0 if ok else 1


def _check(what: str, computed: str, published: str) -> bool:
    same = hmac.compare_digest(computed, published.strip().lower())
    print(f"{what}: {'OK' if same else 'MISMATCH'} ({computed})")
    return same


if __name__ == "__main__":
    sys.exit(main())
