"""``/api/v1/programs/{slug}/loyalty/entries``: the program's whole loyalty ledger.

What the Django admin's ledger list shows (every contact's lines, filtered by action,
source and dates), for the shop's server or an account key. Recording actions and one
contact's ledger are in ``server.py``.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, Field

from ..conf import parrain_settings
from ..emails import normalize_email
from ..models import LoyaltyEntry
from ..validation_types import Email, Moment
from . import schemas as s
from .pagination import after_cursor, encode_cursor
from .problems import Problem
from .security import SecretKey, program_of
from .server import _entry_out

router = Router(auth=SecretKey(), tags=["server"])
MAX_PAGE = 200
ERRORS: dict[int, type[Problem]] = {code: Problem for code in (400, 401, 404, 422, 429)}
#: ``LoyaltyKind`` values (a test keeps them in step).
Kind = Literal[
    "purchase",
    "review",
    "birthday",
    "social_follow",
    "newsletter_signup",
    "custom",
    "adjustment",
    "reward",
    "reversal",
    "import",
]


class EntriesQuery(BaseModel):
    kind: Kind | None = None
    source: str | None = Field(
        None, max_length=20, description="api, webhook, admin, import, oscar…"
    )
    email: Email | None = Field(None, description="Only this contact's lines.")
    since: Moment | None = Field(None, description="Recorded at or after.")
    until: Moment | None = Field(None, description="Recorded before.")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


class ProgramEntryOut(s.LoyaltyEntryOut):
    contact_id: int
    contact_email: str


class ProgramLedgerOut(BaseModel):
    items: list[ProgramEntryOut]
    next_cursor: str | None


@router.get("/programs/{slug}/loyalty/entries", response={200: ProgramLedgerOut, **ERRORS})
def list_entries(request: HttpRequest, slug: str, q: Query[EntriesQuery]) -> Any:
    """Every contact's ledger lines, the latest recorded first, one page at a time."""
    found = LoyaltyEntry.objects.filter(program=program_of(request))
    if q.kind:
        found = found.filter(kind=q.kind)
    if q.source:
        found = found.filter(source=q.source)
    if q.email:
        found = found.filter(contact__email_normalized=normalize_email(q.email))
    if q.since:
        found = found.filter(recorded_at__gte=q.since)
    if q.until:
        found = found.filter(recorded_at__lt=q.until)
    limit = q.limit or min(parrain_settings.PAGE_SIZE, MAX_PAGE)
    ordered = after_cursor(found, q.cursor, "recorded_at").order_by("-recorded_at", "-pk")
    page = list(ordered.select_related("order", "contact")[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    cursor = encode_cursor(page[-1].recorded_at, page[-1].pk) if more else None
    items = [
        ProgramEntryOut(
            **_entry_out(entry).model_dump(),
            contact_id=entry.contact_id,
            contact_email=entry.contact.email,
        )
        for entry in page
    ]
    return ProgramLedgerOut(items=items, next_cursor=cursor)
