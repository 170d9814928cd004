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

Settings (``PARRAIN_SMS``, every key optional)::

    PARRAIN_SMS = {
        "BACKEND": "parrain.core.messaging.sms.HttpBackend",
        "URL": "https://sms.example/api/messages",
        "HEADERS": {"Authorization": "Bearer <api key>"},
        "BODY": {"to": "{to}", "text": "{text}", "from": "{sender}"},  # the default
        "BODY_FORMAT": "json",  # or "form" (application/x-www-form-urlencoded, flat BODY)
        "SENDER": "MyShop",
        "TIMEOUT": 10,  # seconds
        "ID_FIELD": "id",  # dotted path in the JSON answer: "messages.0.message-id"
        "INBOUND_TOKEN": "<a long random string>",  # the STOP endpoint's credential
    }

``BODY`` may also be the JSON text. The placeholders are filled *after* the template is
parsed, in its string values only, and the body is then serialised: a message text with
quotes, braces or line breaks stays one JSON string and can never add a field.

The provider's URL is the site developer's setting, not a shop owner's input: ``HttpBackend``
uses a plain httpx client (timeouts, no redirects), not the webhook plugin's guarded client
that refuses private addresses — the core does not import plugins, and an SMS gateway on
the operator's own network is a fair setup.

Phone numbers: ``normalize_number`` (E.164, national numbers read in
``PARRAIN_PHONE_REGION``, "FR" by default); contacts' ``phone`` goes through it at every
edge (server API, imports). SMS consent: ``services.contacts.record_sms_consent``.

Live segment count in an editor: include ``parrain/sms_counter.js`` (same rules as
``segments``) and mark the textarea; the counter updates the element it names, or one it
adds right after the textarea::

    <script src="{% static 'parrain/sms_counter.js' %}" defer></script>
    <textarea name="text" data-parrain-sms-counter="sms-count"></textarea>
    <p id="sms-count" aria-live="polite"></p>

It shows e.g. "2 SMS · 161/306 · GSM-7" (French with ``lang="fr"`` on the page), and
re-scans the page on ``DOMContentLoaded`` and when ``window.parrainSmsCounter.scan(root)``
is called (for forms added later, e.g. a Wagtail StreamField block).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any, TextIO

import httpx
from django.utils.module_loading import import_string

from ..conf import SmsSettings, parrain_settings
from ..emails import normalize_phone

logger = logging.getLogger("parrain.sms")


class SmsError(Exception):
    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


def normalize_number(raw: str) -> str:
    """E.164 form of ``raw``; ValueError when it is not a valid number."""
    return normalize_phone(raw, parrain_settings.PHONE_REGION)


def sender_number(raw: str) -> str:
    """E.164 form of an inbound message's sender; providers may drop the "+" (Vonage's
    ``msisdn`` "33612345678"), so digits alone are tried as international first."""
    raw = raw.strip()
    if raw.isdigit() and not raw.startswith("0"):
        try:
            return normalize_phone("+" + raw, None)
        except ValueError:
            pass
    return normalize_number(raw)


# Replies that unsubscribe a number, compared without case, accents or outer punctuation.
STOP_WORDS = frozenset({"stop", "stop sms", "arret", "arret sms", "unsubscribe"})


def is_stop(text: str) -> bool:
    """Whether an inbound SMS asks to stop: "STOP", " Arrêt ", "stop sms."…"""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = " ".join(bare.casefold().split()).strip(" .!;,")
    return words in STOP_WORDS


# Segments


# GSM 03.38 basic character set (the escape 0x1B excluded), then its extension table:
# an extension character is sent as escape + character, two septets.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7, UCS2 = "GSM-7", "UCS-2"
# (one message alone, each part of a concatenated message: its header takes the rest)
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # as a reader counts them (code points)
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # SMS billed; 0 for an empty text

    @property
    def capacity(self) -> int:
        """Units the current number of segments holds (the counter's "161/306")."""
        single, part = LIMITS[self.encoding]
        return single if self.segments <= 1 else part * self.segments


def _unit_sizes(text: str) -> tuple[str, list[int]]:
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        return GSM7, [2 if char in GSM7_EXTENSION else 1 for char in text]
    return UCS2, [2 if ord(char) > 0xFFFF else 1 for char in text]


def segments(text: str) -> Segments:
    """How ``text`` travels: its encoding and the number of SMS it takes.

    Past one SMS, a character is never split between two parts (an extension character's
    two septets, an emoji's surrogate pair): a part then holds one unit less.
    """
    encoding, sizes = _unit_sizes(text)
    single, part = LIMITS[encoding]
    units = sum(sizes)
    if units <= single:
        count = 1 if units else 0
    else:
        count, used = 1, 0
        for size in sizes:
            if used + size > part:
                count, used = count + 1, 0
            used += size
    return Segments(encoding=encoding, characters=len(text), units=units, segments=count)


# Backends


class SmsBackend:
    """Sends one SMS. Subclasses implement ``send``; ``settings`` is ``PARRAIN_SMS``."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings

    def send(self, to: str, text: str) -> str:
        raise NotImplementedError

    def close(self) -> None:
        """Release what ``send`` kept open (connections); called when settings change."""


class ConsoleBackend(SmsBackend):
    """Development: writes each SMS to standard output."""

    stream: TextIO | None = None  # None: sys.stdout at the time of sending
    _count = 0

    def send(self, to: str, text: str) -> str:
        ConsoleBackend._count += 1
        info = segments(text)
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {to} ({info.segments} × {info.encoding}):\n{text}\n{'-' * 40}\n")
        stream.flush()
        return f"console-{ConsoleBackend._count}"


@dataclass(frozen=True)
class SentSms:
    to: str
    text: str
    id: str


class LocmemBackend(SmsBackend):
    """Tests: keeps each SMS in the class-wide ``outbox`` (empty it between tests)."""

    outbox: list[SentSms] = []

    def send(self, to: str, text: str) -> str:
        sms = SentSms(to=to, text=text, id=f"locmem-{len(LocmemBackend.outbox) + 1}")
        LocmemBackend.outbox.append(sms)
        return sms.id


_PLACEHOLDER = re.compile(r"\{(to|text|sender)\}")
# Answers a retry may fix besides 5xx: request timeout, too many requests.
RETRY_STATUSES = {408, 429}
MAX_REASON = 500


class HttpBackend(SmsBackend):
    """A generic HTTP provider: one POST per SMS, JSON (or form) body from ``BODY``."""

    def __init__(self, settings: SmsSettings) -> None:
        super().__init__(settings)
        try:
            self.template = _parse_body(settings.BODY)
            self.problem = ""
        except ValueError as exc:  # the system check says it at start too
            self.template, self.problem = None, f"PARRAIN_SMS BODY is not valid JSON: {exc}"
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=self.settings.TIMEOUT,
                    follow_redirects=False,
                    headers={"User-Agent": "Parrain-SMS/1", **self.settings.HEADERS},
                )
            return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def body(self, to: str, text: str) -> Any:
        values = {"to": to, "text": text, "sender": self.settings.SENDER}
        return fill(self.template, values)

    def send(self, to: str, text: str) -> str:
        if not self.settings.URL or self.problem:
            problem = self.problem or "PARRAIN_SMS has no URL for HttpBackend."
            raise SmsError(problem, temporary=False)
        body = self.body(to, text)
        as_form = self.settings.BODY_FORMAT == "form"
        try:
            response = self.client.post(
                self.settings.URL, **({"data": body} if as_form else {"json": body})
            )
        except httpx.TimeoutException as exc:
            raise SmsError(
                f"The SMS provider did not answer in time ({exc}).", temporary=True
            ) from exc
        except httpx.TransportError as exc:
            raise SmsError(
                f"The SMS provider could not be reached ({exc}).", temporary=True
            ) from exc
        return self.message_id(response)

    def message_id(self, response: httpx.Response) -> str:
        status = response.status_code
        if status >= 500 or status in RETRY_STATUSES:
            raise SmsError(f"SMS provider: HTTP {status}: {_answer(response)}", temporary=True)
        if status >= 300:
            raise SmsError(
                f"SMS provider refused: HTTP {status}: {_answer(response)}", temporary=False
            )
        try:
            return str(dig(response.json(), self.settings.ID_FIELD) or "")[:120]
        except (ValueError, LookupError, TypeError):
            logger.warning("SMS sent, but no %r in the provider's answer", self.settings.ID_FIELD)
            return ""


def _answer(response: httpx.Response) -> str:
    return " ".join(response.text.split())[:MAX_REASON] or response.reason_phrase


def _parse_body(body: Any) -> Any:
    return json.loads(body) if isinstance(body, str) else body


def fill(template: Any, values: dict[str, str]) -> Any:
    """``template`` with each ``{name}`` in its string values replaced, in one pass (a value
    that holds "{text}" stays as it is)."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def dig(data: Any, path: str) -> Any:
    """``data["messages"][0]["id"]`` for the path "messages.0.id"; LookupError if absent."""
    for key in path.split(".") if path else []:
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


_backend: tuple[SmsSettings, SmsBackend] | None = None
_backend_lock = threading.Lock()


def get_backend() -> SmsBackend:
    """The backend ``PARRAIN_SMS`` names; one instance while the setting stays the same."""
    global _backend
    settings = parrain_settings.SMS
    with _backend_lock:
        if _backend is None or _backend[0] is not settings:
            if _backend is not None:
                _backend[1].close()
            _backend = (settings, import_string(settings.BACKEND)(settings))
        return _backend[1]


def send(to: str, text: str) -> str:
    """Send ``text`` to the number ``to`` (E.164) with the configured backend."""
    return get_backend().send(to, text)
