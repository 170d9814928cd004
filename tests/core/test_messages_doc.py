"""docs/messages.md and docs/deploy.md say what the code does.

A shop owner sets up the scenario from the default-scenario table, and an operator copies
the beat schedule from deploy.md: a kind, trigger or beat entry missing there, or a table
row that no longer matches ``DEFAULT_SCENARIO``, is a wrong instruction.
"""

from __future__ import annotations

import re
from pathlib import Path

from parrain.core.messaging.variables import VARIABLES
from parrain.core.models.choices import Audience, MessageKind, MessageRule, Trigger
from parrain.core.services.scenarios import DEFAULT_SCENARIO

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = (ROOT / "docs" / "messages.md").read_text(encoding="utf-8")
DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")

# The default scenario table's wording of each kind.
KIND_WORDS = {
    MessageKind.INVITATION: "invitation",
    MessageKind.FRIEND_REMINDER: "friend reminder",
    MessageKind.WELCOME: "welcome code",
    MessageKind.INCITATION: "invitation to refer",
    MessageKind.REWARD: "reward notice",
    MessageKind.REVIEW_REQUEST: "review request",
    MessageKind.BADGE_AWARDED: "badge earned",
    MessageKind.CONTEST_WON: "contest won",
    MessageKind.BOOST_ANNOUNCEMENT: "boost announcement",
}


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after ``heading``, header excluded."""
    lines = MESSAGES.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[start:end]][2:]


def test_every_kind_trigger_condition_and_rule_is_documented() -> None:
    for value in [*MessageKind, *Trigger, *Audience, MessageRule.PRESSURE_CAP]:
        assert f"`{value.value}`" in MESSAGES, value
    assert f"`{MessageRule.QUIET_HOURS.value}`" in MESSAGES
    assert f"`{MessageRule.MIN_GAP.value}`" in MESSAGES


def test_every_variable_is_documented() -> None:
    documented = {row[0] for row in table_after("## Variables")}
    names = {name for cell in documented for name in re.findall(r"`(\w+)`", cell)}

    assert names == set(VARIABLES)


def test_default_scenario_table_matches_the_steps_a_new_program_gets() -> None:
    rows = table_after("### The default scenario")

    assert len(rows) == len(DEFAULT_SCENARIO)
    for row, step in zip(rows, DEFAULT_SCENARIO, strict=True):
        _trigger, amount, unit, kind, recipient, audience, active = step
        delay = "at once" if amount == 0 else f"{amount} {unit}"
        assert row[1] == delay, row
        assert row[2] == KIND_WORDS[kind], row
        assert row[3].startswith(str(recipient)), row
        assert (row[4] == "—") == (not audience), row
        assert row[5].startswith("yes" if active else "**no**"), row


def test_deploy_lists_every_beat_entry() -> None:
    from django.conf import settings

    from parrain.core.beat import BEAT_SCHEDULE
    from parrain.plugins.generic_webhook.beat import BEAT_SCHEDULE as WEBHOOKS

    schedule = {**BEAT_SCHEDULE, **WEBHOOKS, **settings.CELERY_BEAT_SCHEDULE}
    assert len(schedule) > 10
    for name, entry in schedule.items():
        assert f"`{name}`" in DEPLOY, name
        assert f"`{entry['task']}`" in DEPLOY, name
