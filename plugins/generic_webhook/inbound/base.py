"""What every inbound preset shares: refusals, the verified envelope, the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

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
