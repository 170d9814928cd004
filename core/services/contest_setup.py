"""Contests: create, edit, open (commitment published), cancel.

Contract (issue 12); TODO bodies are built in branch ``i12-contest-setup`` (with the core
forms ``core/forms/contest.py``, the server API, the Django admin and the public page).
"""

from __future__ import annotations

from typing import Any

from ..models import Contest, Program


def create_contest(
    program: Program, *, prizes: list[dict], actor: str = "admin", **fields: Any
) -> Contest:
    """Validate and create a draft; ``prizes`` = [{label, quantity, reward_rule}], ordered."""
    raise NotImplementedError


def update_contest(
    contest: Contest, *, prizes: list[dict] | None = None, actor: str = "admin", **fields: Any
) -> Contest:
    """Draft: anything. Open: only texts, rules URL and a later ``draw_at``; never the
    ticket rules, the period start, the prizes nor the public value source. Drawn: nothing."""
    raise NotImplementedError


def open_contest(contest: Contest, *, actor: str = "admin") -> Contest:
    """Refused without rules (text in a language or URL), without prizes or without the
    public value source. Makes the secret server seed and publishes its commitment."""
    raise NotImplementedError


def cancel_contest(contest: Contest, *, actor: str = "admin") -> Contest:
    raise NotImplementedError
