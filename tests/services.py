"""Is PostgreSQL / Redis reachable? Tests that need them skip locally, fail under CI=true."""

from __future__ import annotations

import hashlib
import os
import socket
from functools import cache
from pathlib import Path

PG_ADDR = (os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", "5432")))
REDIS_ADDR = ("127.0.0.1", 6379)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Each checkout gets its own test database and Redis database number, so that two clones
# (or git worktrees) can run the suite at the same time without dropping each other's data.
CHECKOUT_ID = hashlib.sha256(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()
TEST_DB_NAME = "test_parrain_" + CHECKOUT_ID[:8]
# Under pytest-xdist each worker (``gw0``, ``gw1``…) has its own test database (pytest-django
# adds the suffix) and its own Redis database: the real Celery workers a test starts must
# not take the other xdist worker's tasks.
XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
REDIS_TEST_URL = f"redis://127.0.0.1:6379/{8 + (int(CHECKOUT_ID, 16) + XDIST_WORKER) % 8}"


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


def test_databases(suffix: str = "") -> dict:
    """PostgreSQL when reachable (always under CI=true), else SQLite in memory.

    ``suffix`` gives each ``tests/only_<name>/`` run its own test database.
    """
    if not use_postgres():
        return {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    return {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "test"),
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "TEST": {"NAME": TEST_DB_NAME + suffix},
        }
    }
