"""SMS: pluggable backends, segment count, number normalisation (helper: sms).

Contract:
- Setting ``PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.ConsoleBackend", ...}``;
  ``get_backend() -> SmsBackend`` (cached per settings).
- ``SmsBackend.send(to: str, text: str) -> str``: returns the provider's message id; raises
  ``SmsError(temporary=True)`` for what a retry may fix (5xx, timeouts), ``temporary=False``
  otherwise (the message fails with the reason).
- Shipped: ``HttpBackend`` (httpx; settings URL, HEADERS (auth), BODY: a JSON template with
  ``{to}``/``{text}``/``{sender}`` placeholders, TIMEOUT, ID_FIELD), ``ConsoleBackend``
  (prints), ``LocmemBackend`` (``outbox`` list, for tests).
- ``segments(text) -> Segments``: encoding "GSM-7" or "UCS-2", characters, segment count
  (160/153 GSM-7 septets with extension characters counting two; 70/67 UCS-2).
- Inbound STOP: view ``parrain:sms_inbound`` (shared token in ``PARRAIN_SMS["INBOUND_TOKEN"]``)
  sets ``sms_unsubscribed_at`` on the number's contacts (audit ``contact.sms_unsubscribed``).
"""

from __future__ import annotations


class SmsError(Exception):
    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary
