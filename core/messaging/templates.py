"""Which template a message uses, and the message it makes (helper: templates).

Contract:
- ``DEFAULTS``: the shipped FR and EN template of every kind and channel (email: subject,
  MJML body rendered once to HTML through ``mjml.to_html``, text; SMS: text), files under
  ``core/messaging/defaults/``.
- ``template_for(program, kind, channel, language) -> Resolved``: the owner's
  ``MessageTemplate`` row (cached per program, forgotten on save) or the default.
- ``compose(message: ScheduledMessage) -> Composed | None``: the recipient's language
  (``messaging.language_for``), the variables (``variables.context_for``; None → None), the
  rendered parts; email HTML wrapped in the program's layout (legal footer, shop address,
  unsubscribe link). Raises ``render.RenderError``.
- ``preview(program, kind, channel, language, *, subject, html, text) -> Composed``: with
  ``variables.example_context``; for the editors' live preview and test send.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Resolved:
    subject: str
    html: str
    text: str
    is_default: bool


@dataclass(frozen=True)
class Composed:
    channel: str
    to: str  # email address or E.164 number
    subject: str  # email subject; empty for SMS
    text: str
    html: str = ""  # email only
    headers: dict[str, str] = field(default_factory=dict)  # List-Unsubscribe, …
