"""Owner-edited templates, rendered in jinja2's sandbox (helper: templates).

Contract:
- ``check(source: str, *, kind: str, part: str) -> list[TemplateProblem]``: syntax errors,
  unknown variables (not in ``variables.KIND_VARIABLES[kind]``), and refused constructs
  (``include``/``import``/``extends``/``macro``/``call``/loops, attribute or item access,
  filters outside a small allow-list), each with its line number and a translated reason.
  ``part`` is "subject", "html", "text" or "sms".
- ``render(source: str, variables: dict[str, str], *, html: bool) -> str``: sandboxed,
  autoescaped when ``html``, bounded output; raises ``RenderError`` (never returns a half
  message).
"""

from __future__ import annotations

from typing import NamedTuple


class TemplateProblem(NamedTuple):
    line: int
    message: str


class RenderError(Exception):
    """A template could not be rendered; the message is marked failed with this reason."""
