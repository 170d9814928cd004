"""An email from a ``Composed`` message (helper: templates).

Contract:
- ``email_message(composed, *, sender, connection=None) -> EmailMultiAlternatives``: text
  part + HTML alternative, headers ``List-Unsubscribe: <https://…/parrain/unsubscribe/<t>/>``
  and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
Delivery goes through Django's email backend, so any django-anymail backend works.
"""

from __future__ import annotations
