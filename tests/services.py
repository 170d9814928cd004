"""Is PostgreSQL / Redis reachable? Tests that need them skip locally, fail under CI=true."""

from __future__ import annotations

import os
import socket
from functools import cache

PG_ADDR = (os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", "5432")))
REDIS_ADDR = ("127.0.0.1", 6379)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@cache
def reachable(addr: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(addr, timeout=1):
            return True
    except OSError:
        return False


def use_postgres() -> bool:
    if os.environ.get("PARRAIN_TEST_DB") == "sqlite":
        return False
    return IN_CI or reachable(PG_ADDR)
