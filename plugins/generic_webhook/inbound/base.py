"""What every inbound preset shares: refusals, the verified envelope, the outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from parrain.core.validation_types import nul_field

from ..models import Result

if TYPE_CHECKING:
    from ..models import InboundEndpoint


class Refusal(Exception):
    """A request we will not process; ``reason`` is stored and returned to the sender."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        self.status = status
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class Envelope:
    """What the signature check vouches for: the delivery id and the topic."""

    delivery_id: str
    topic: str
    ping: bool = False


@dataclass(frozen=True)
class Outcome:
    result: Result
    reason: str
    detail: str = ""


def accepted(reason: str, detail: str = "") -> Outcome:
    return Outcome(Result.ACCEPTED, reason, detail)


def ignored(reason: str, detail: str = "") -> Outcome:
    return Outcome(Result.IGNORED, reason, detail)


class Preset(Protocol):
    SIGNATURE_HEADERS: tuple[str, ...]

    def verify(self, endpoint: InboundEndpoint, request: HttpRequest, body: bytes) -> Envelope: ...

    def handle(self, endpoint: InboundEndpoint, topic: str, body: bytes) -> Outcome: ...


MAX_HEADER_LENGTH = 200


def header(request: HttpRequest, name: str, *, required: bool = True) -> str:
    value = request.headers.get(name, "").strip()
    if required and not value:
        raise Refusal(
            400, "missing_header", _("The %(header)s header is missing.") % {"header": name}
        )
    if len(value) > MAX_HEADER_LENGTH:
        raise Refusal(
            400,
            "bad_header",
            _("The %(header)s header is longer than %(max)s characters.")
            % {"header": name, "max": MAX_HEADER_LENGTH},
        )
    return value


def check_age(sent_at: datetime, max_age_seconds: int) -> None:
    """Refuse a delivery signed too long ago (or too far in the future): a replay."""
    if abs(timezone.now() - sent_at) > timedelta(seconds=max_age_seconds):
        raise Refusal(
            400,
            "stale_timestamp",
            _("The delivery timestamp %(sent_at)s is outside the %(seconds)s-second tolerance.")
            % {"sent_at": sent_at.isoformat(), "seconds": max_age_seconds},
        )


# Real payloads nest a dozen levels; deeper is an attack on the parsers' recursion.
MAX_JSON_DEPTH = 64


def parse_json(body: bytes) -> Any:
    """The body as JSON; a 400 when it is malformed, nested too deep or holds NUL text."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refusal(
            400, "malformed_json", _("The body is not valid JSON: %(error)s") % {"error": exc}
        ) from exc
    except RecursionError as exc:
        raise _too_deep() from exc
    _check_tree(payload)
    return payload


def _too_deep() -> Refusal:
    return Refusal(
        400,
        "malformed_json",
        _("The JSON is nested deeper than %(max)s levels.") % {"max": MAX_JSON_DEPTH},
    )


def _check_tree(payload: Any) -> None:
    """Depth and NUL characters (the core's check, as the APIs'), walked without recursion."""
    pending: list[tuple[Any, int]] = [(payload, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    if nul_field(payload) is not None:
        raise Refusal(400, "malformed_json", _("Text with NUL characters is not accepted."))
