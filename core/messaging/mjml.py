"""Responsive, client-safe email HTML (helper: templates).

Contract:
- ``to_html(mjml: str) -> str``: MJML through ``mrml``, then CSS inlined by ``css_inline``.
  Jinja tags in the MJML (``{{ welcome_code }}``) come out intact, for ``render`` to fill.
- ``html_to_text(html: str) -> str``: the text alternative of an email (links as
  "label (url)", headings and paragraphs kept apart).
"""

from __future__ import annotations
