"""``/api/v1/programs/{slug}/contacts/{contact}/consents`` and ``…/export``: a contact's
consent history (the proof) and everything the program holds about them (right of access).

Thin adapters over ``services.consents`` and ``services.contact_export``; an export is
audited (``contact.exported``, actor ``api:<key prefix>``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from pydantic import BaseModel, Field

from ..privacy_views import download
from ..services import consents, message_admin
from . import schemas as s
from .problems import Problem
from .security import SecretKey, actor_of, program_of
from .server import consent_out

router = Router(auth=SecretKey(), tags=["server"])
CONTACT = "/programs/{slug}/contacts/{contact}"
ERRORS: dict[int, type[Problem]] = {code: Problem for code in (400, 401, 404, 422, 429)}
ContactPath = Annotated[str, Path(max_length=254)]


class ContactQuery(BaseModel):
    by: Literal["email", "external_id"] = Field(
        "email", description="Whether the path names the contact by email or by the shop's id."
    )


@router.get(f"{CONTACT}/consents", response={200: s.ConsentsOut, **ERRORS})
def contact_consents(
    request: HttpRequest, slug: str, contact: ContactPath, q: Query[ContactQuery]
) -> Any:
    """Every consent the contact gave or withdrew, per channel, latest first: when, where,
    and the text they saw (with its version)."""
    found = message_admin.contact_of(program_of(request), contact, by=q.by)
    items = [consent_out(entry) for entry in consents.history(found)]
    return s.ConsentsOut(contact_id=found.pk, items=items)


@router.get(
    f"{CONTACT}/export",
    response={200: s.ContactExportOut, **ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "The export as a JSON file (Content-Disposition: attachment).",
                "headers": {
                    "Content-Disposition": {
                        "schema": {"type": "string"},
                        "description": 'attachment; filename="contact-<id>-export.json"',
                    }
                },
            }
        }
    },
)
def export_contact(
    request: HttpRequest, slug: str, contact: ContactPath, q: Query[ContactQuery]
) -> HttpResponse:
    """Everything the program holds about the contact, as a JSON file (right of access):
    the contact, consents, invitations and referrals on both sides, orders and refunds,
    rewards, badges, loyalty ledger, messages and the audit entries about them. Audited."""
    found = message_admin.contact_of(program_of(request), contact, by=q.by)
    return download(found, actor=actor_of(request))
