"""Opaque cursors for keyset pagination on ``(a moment, pk)``, newest first."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from ..exceptions import ParrainError

MAX_PK = 2**63


class InvalidCursor(ParrainError):
    status = 400
    code = "invalid-cursor"


def encode_cursor(invited_at: datetime, pk: int) -> str:
    raw = json.dumps([invited_at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, pk = json.loads(raw)
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None or type(pk) is not int or not 0 < pk < MAX_PK:
            raise ValueError(cursor)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor(
            _("This cursor is not valid; use next_cursor from a previous page."), field="cursor"
        ) from None
    return moment, pk


def after_cursor(qs: QuerySet, cursor: str | None, field: str = "invited_at") -> QuerySet:
    """The rows after ``cursor`` in ``(field, pk)`` order, newest first."""
    if not cursor:
        return qs
    moment, pk = decode_cursor(cursor)
    return qs.filter(Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk}))
