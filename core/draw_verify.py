"""Verify a Parrain contest draw with the Python standard library only.

    python -m parrain.core.draw_verify entries.csv --seed SEED --public VALUE \
        [--commitment SHA256] [--picks N]

Algorithm ``parrain-draw-v1`` (docs/fair-draw.md explains it for participants):

1. At opening the server makes ``seed`` = 32 random bytes written as 64 lowercase hex
   characters and publishes ``commitment = SHA-256(seed as ASCII text)`` (hex).
2. At the draw the entries file is frozen: UTF-8 CSV, ``\n`` line ends, header
   ``entrant,tickets``, one line per entrant with at least one ticket, sorted by
   ``entrant`` (byte order). ``entries_hash = SHA-256(file bytes)`` (hex) is published.
3. The owner types the ``public`` value (named in the rules before opening: a lottery
   result, a drand round's randomness…).
4. Pick ``i`` (0, 1, 2, …) takes ``h = HMAC-SHA256(key=bytes.fromhex(seed),
   msg=f"{public}|{entries_hash}|{i}" as UTF-8)``, ``x = int(h, big-endian) mod T`` where
   ``T`` is the total tickets of the entrants not picked yet, and walks those entrants in
   file order adding their tickets: the winner is the first whose running sum exceeds
   ``x``. The winner leaves the pool (weighted selection without replacement).
5. Prize units are served in prize order, unit by unit: pick 0 is prize 1 unit 1, …
   A redraw (an unclaimed prize) takes the next pick of the same chain.

TODO in i12-contest-core: implementation (a Fenwick tree for speed) and the CLI.
"""

from __future__ import annotations

ALGORITHM = "parrain-draw-v1"
