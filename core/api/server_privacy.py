"""``/api/v1/programs/{slug}/contacts/{contact}/consents``, ``…/export`` and ``…/erase``: a
contact's consent history (the proof), everything the program holds about them (right of
access), and their erasure (right to erasure).

Thin adapters over ``services.consents``, ``services.contact_export`` and
``services.erasure``; exports and erasures are audited (``contact.exported``,
``contact.erased``, actor ``api:<key prefix>``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router
from pydantic import BaseModel, Field

from ..privacy_views import download
from ..services import consents, message_admin
from ..services.erasure import erase_contact, kept_history
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


@router.post(f"{CONTACT}/erase", response={200: s.ErasureOut, **ERRORS})
def erase(request: HttpRequest, slug: str, contact: ContactPath, q: Query[ContactQuery]) -> Any:
    """Erase the contact everywhere the program stored them (right to erasure): their
    details, every copy in the audit log, stored webhooks, messages and import files. Their
    invitations, referrals, orders and rewards stay, linked to an anonymous record (the
    answer counts them), so past figures do not change. Cannot be undone; audited.

    Afterwards nothing in the program names them: a second call answers 404, as for an
    address the program never knew. Erase them in the shop too (its own accounts)."""
    found = message_admin.contact_of(program_of(request), contact, by=q.by)
    kept = kept_history(found)
    erase_contact(found, actor=actor_of(request))
    found.refresh_from_db(fields=["erased_at"])
    return s.ErasureOut(contact_id=found.pk, erased_at=found.erased_at, kept=s.ErasureKept(**kept))
