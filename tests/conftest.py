from __future__ import annotations

import pytest

from tests.services import IN_CI, REDIS_ADDR, reachable


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (required when CI=true)")
    pytest.skip(what)


@pytest.fixture(autouse=True)
def _required_services(request: pytest.FixtureRequest) -> None:
    """``@pytest.mark.postgres`` / ``redis``: skip visibly locally, fail under CI=true."""
    if request.node.get_closest_marker("redis") and not reachable(REDIS_ADDR):
        _missing(f"needs Redis on {REDIS_ADDR[0]}:{REDIS_ADDR[1]}")
    if request.node.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _missing("needs PostgreSQL on 127.0.0.1:5432 (this run uses SQLite)")


@pytest.fixture(autouse=True)
def _forget_badge_definitions() -> None:
    """The badge memo is keyed by program id, and SQLite hands a rolled-back test's ids out
    again: each test starts with none remembered (a save or delete forgets them in real
    life, a test's rollback sends no signal)."""
    from parrain.core.services.badges import forget

    forget()


@pytest.fixture(autouse=True)
def _forget_scenario_steps() -> None:
    """The scenario steps memo is keyed by program id, like the badge one above."""
    from parrain.core.services.scenarios import forget

    forget()


@pytest.fixture(autouse=True)
def _forget_message_templates() -> None:
    """The owner templates memo is keyed by program id, like the badge one above."""
    from parrain.core.messaging.templates import forget

    forget()


@pytest.fixture(autouse=True)
def _forget_share_codes() -> None:
    """The share link's code directory maps codes to contact ids read in an earlier test:
    each test starts with none (a test's rollback sends no signal)."""
    from parrain.core.services.sharing import forget_targets

    forget_targets()


@pytest.fixture(autouse=True)
def _forget_widget_sightings() -> None:
    """Which programs' widget this process saw lately, by id: ids come back after a rollback."""
    from parrain.core.services.setup_checklist import forget_widget_seen

    forget_widget_seen()


# A real SMTP server on loopback for any test that asks for it (tests/smtp.py).
from tests.smtp import smtp_server  # noqa: E402, F401
