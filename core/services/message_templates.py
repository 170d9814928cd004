"""Saving the owner's templates (helper: templates).

Contract:
- ``save_template(program, kind, channel, language, *, subject="", html="", text="",
  actor, designed_with="") -> MessageTemplate``: every part checked with ``render.check``;
  a problem raises ``TemplateRefused(problems: dict[part, list[TemplateProblem]])`` (a
  ``Refused`` subclass: 422 in the API, form errors in the admins) and stores nothing.
  Audited ("message_template.saved").
- ``reset_template(program, kind, channel, language, *, actor)``: back to the default.
- ``send_test(program, kind, channel, language, to: str, *, subject, html, text)``: renders
  with example values and sends now (email or SMS), marked "[TEST]"; for the editors.
"""

from __future__ import annotations
