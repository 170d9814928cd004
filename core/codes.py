"""Short, unguessable codes: random, never derived from ids or emails."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: codes are read aloud and typed from phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
