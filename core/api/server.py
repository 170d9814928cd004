"""``/api/v1/programs/{slug}/…``: the shop's server talks to Parrain with a secret key.

Every endpoint is a thin adapter: validate the body, call one core service, shape the reply.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Path, Query, Router, Status
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from ..conf import parrain_settings
from ..emails import normalize_email
from ..exceptions import InvalidInput, NotFound, ParrainError, Refused
from ..importing.rows import ContactRow, Pending, RowError
from ..models import (
    Badge,
    BadgeHolding,
    BadgeRecompute,
    ConsentRecord,
    Contact,
    LoyaltyEntry,
    Order,
    Referral,
)
from ..models.choices import ImportSource, ReferralStatus
from ..services import badge_setup, badges, consents, contact_imports, loyalty, review, stats
from ..services.contacts import ContactData, find_contact, upsert_contact
from ..services.enrolment import enrol_referrer, referrer_by_code
from ..services.invitations import invite_by_email
from ..services.orders import (
    OrderData,
    RefundData,
    accept_order,
    record_order,
    record_refund_outcome,
)
from ..services.registration import register_referee
from ..validation_types import Moment
from . import schemas as s
from .pagination import after_cursor, encode_cursor
from .problems import Problem, pydantic_errors
from .security import SecretKey, accepts_upload, actor_of, parse_multipart, program_of

MAX_STATS_DAYS = 366
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(2999, 12, 31)
MAX_PAGE = 200
ReferralId = Annotated[int, Path(ge=1, lt=2**63)]
BadgeId = Annotated[int, Path(ge=1, lt=2**63)]
#: Room for the multipart envelope around an image of at most 1 MB.
UPLOAD_OVERHEAD = 16 * 1024

router = Router(auth=SecretKey(), tags=["server"])
PROGRAM = "/programs/{slug}"
ERRORS: dict[int, type[Problem]] = {
    code: Problem for code in (400, 401, 404, 409, 413, 415, 422, 429)
}


CENT = Decimal("0.01")


def _responses(*success: int, model: Any) -> dict[int, Any]:
    return {**{status: model for status in success}, **ERRORS}


# Contacts


def _contact_out(contact: Contact) -> s.ContactOut:
    fields = {name: getattr(contact, name) for name in s.ContactOut.model_fields}
    latest = consents.latest(contact)
    fields["consents"] = {channel: consent_out(entry) for channel, entry in latest.items()}
    return s.ContactOut.model_validate(fields)


def consent_out(entry: ConsentRecord) -> s.ConsentOut:
    return s.ConsentOut(
        channel=entry.channel,
        given=entry.given,
        at=entry.at,
        source=entry.source,
        source_label=str(entry.get_source_display()),
        text=entry.text,
        text_version=entry.text_version,
        recorded_at=entry.created_at,
    )


@router.put(f"{PROGRAM}/contacts", response=_responses(200, 201, model=s.ContactOut))
def put_contact(request: HttpRequest, slug: str, payload: ContactData) -> Status[Any]:
    """Create or update one contact, found by email; the shop vouches for the address."""
    contact, created = upsert_contact(program_of(request), payload, vouched=True)
    return Status(201 if created else 200, _contact_out(contact))


@router.post(
    f"{PROGRAM}/contacts/bulk",
    response=_responses(200, model=s.BulkContactsOut),
    exclude_none=True,
)
def bulk_contacts(request: HttpRequest, slug: str, payload: s.BulkContactsIn) -> Any:
    """Upsert many contacts; each row is validated on its own, the valid ones are written
    together by the contact import service (one import record, ``import_id``). A row the
    program already holds as it is sent (the same JSON object as the last one naming its
    contact, nothing changed since) is answered "updated" without being validated again."""
    limit = parrain_settings.BULK_MAX_ROWS
    if len(payload.rows) > limit:
        raise TooManyRows(
            _("Send at most %(limit)s rows per request.") % {"limit": limit}, field="rows"
        )
    program = program_of(request)
    now = timezone.now()
    sms_consents: dict[int, tuple[bool, str]] = {}

    def parse(row: Pending) -> ContactRow | list[RowError]:
        try:
            data = ContactData.model_validate(row.source)
        except PydanticValidationError as exc:
            return [RowError(row.row, f, m) for f, m in pydantic_errors(exc.errors())]
        if data.sms_consent is not None:
            sms_consents[row.row] = (data.sms_consent, data.consent_source)
        return contact_imports.row_from_contact_data(row.row, data, now)

    # The request's rows are frozen with the rest: the collector would walk them with
    # every few thousand answers built (half a re-sent request's time).
    with contact_imports.collector_spared():
        with transaction.atomic():
            outcome = contact_imports.sync_rows(
                program,
                contact_imports.pending_api_rows(payload.rows),
                source=ImportSource.API,
                actor=actor_of(request),
                vouched=True,
                by_email=True,
                sms_consents=sms_consents,
                parse=parse,
            )
        ordered = [_bulk_result(i, outcome.rows[i]) for i in range(len(payload.rows))]
    counts = {kind: sum(r.status == kind for r in ordered) for kind in ("created", "updated")}
    return s.BulkContactsOut(
        created=counts["created"],
        updated=counts["updated"],
        failed=len(ordered) - counts["created"] - counts["updated"],
        import_id=outcome.contact_import.pk if outcome.contact_import else None,
        results=ordered,
    )


class TooManyRows(ParrainError):
    status = 413
    code = "too-many-rows"


def _bulk_result(index: int, row: contact_imports.RowOutcome) -> s.BulkRowResult:
    """Built without validation (our own values; validating cost 10 to 20 µs a row)."""
    if row.status != "error":
        return s.BulkRowResult.model_construct(index=index, status=row.status, id=row.contact_id)
    errors = [{"field": e.column, "message": str(e.reason)} for e in row.errors or []]
    return s.BulkRowResult.model_construct(index=index, status="error", errors=errors)


# Referrers, invitations, registrations


@router.post(f"{PROGRAM}/referrers", response=_responses(200, 201, model=s.EnrolOut))
def enrol(request: HttpRequest, slug: str, payload: s.EnrolIn) -> Status[Any]:
    """Enrol a referrer: returns their personal code and share link.

    The shop vouches for the address; ``first_name``, if given, is the name friends see.
    """
    enrolment = enrol_referrer(
        program_of(request),
        payload.email,
        first_name=payload.first_name,
        language=payload.language or "",
        actor=actor_of(request),
        vouched=True,
    )
    body = s.EnrolOut(
        contact_id=enrolment.contact.pk,
        email=enrolment.contact.email,
        code=enrolment.code,
        share_url=enrolment.share_url,
        created=enrolment.created,
    )
    return Status(201 if enrolment.created else 200, body)


@router.post(f"{PROGRAM}/invitations", response=_responses(200, model=s.InviteOut))
def invite(request: HttpRequest, slug: str, payload: s.InviteIn) -> Any:
    """Invite friends by email on behalf of a referrer (by email or code)."""
    referrer = _referrer(request, payload)
    outcomes = invite_by_email(referrer, payload.emails, personal_message=payload.message)
    results = [
        s.InvitationResult(
            email=o.email,
            invited=o.invited,
            reason=o.reason,
            invitation_id=o.invitation.pk if o.invitation else None,
        )
        for o in outcomes
    ]
    referrer.refresh_from_db(fields=["referrer_code"])
    return s.InviteOut(referrer_code=referrer.referrer_code or "", results=results)


def _referrer(request: HttpRequest, payload: s.InviteIn) -> Contact:
    program = program_of(request)
    if payload.referrer_code:
        found = referrer_by_code(program, payload.referrer_code)
        field = "referrer_code"
    else:
        found = find_contact(program, payload.referrer_email or "")
        field = "referrer_email"
    if found is None:
        raise NotFound(_("No referrer matches; enrol them first."), field=field)
    return found


@router.post(
    f"{PROGRAM}/registrations",
    # 503: the welcome code could not be issued (an empty code pool)
    response={**_responses(200, 201, model=s.RegisterOut), 503: Problem},
)
def register(request: HttpRequest, slug: str, payload: s.RegisterIn) -> Status[Any]:
    """A friend claims the welcome offer with the referrer's code."""
    registration = register_referee(
        program_of(request),
        payload.code,
        payload.email,
        consent=payload.consent,
        first_name=payload.first_name,
        source="api",
        link_click=payload.link_click,
    )
    reward = registration.reward
    welcome = None
    if reward is not None:
        welcome = s.WelcomeOut(
            code=reward.code,
            kind=reward.kind,
            value=reward.value,
            currency=reward.currency,
            expires_at=reward.expires_at,
        )
    body = s.RegisterOut(
        referral=_referral_ref(registration.referral),
        welcome=welcome,
        created=registration.created,
    )
    return Status(201 if registration.created else 200, body)


# Orders and refunds


def _referral_ref(referral: Referral | None) -> s.ReferralRef | None:
    if referral is None:
        return None
    return s.ReferralRef(id=referral.pk, status=referral.status)


def _attribution(order: Order) -> s.ReferralRef | None:
    if order.referral_id is None:
        return None
    if Order.referral.is_cached(order):  # the service set it: no second read
        return _referral_ref(order.referral)
    return _referral_ref(Referral.objects.only("pk", "status").get(pk=order.referral_id))


def _cents(amount: Decimal | int | str) -> Decimal:
    """As the database gives it back (two places), whether the order was just written or read."""
    return Decimal(amount).quantize(CENT)


def _order_out(order: Order) -> s.OrderOut:
    return s.OrderOut(
        id=order.pk,
        external_id=order.external_id,
        amount=_cents(order.amount),
        currency=order.currency,
        placed_at=order.placed_at,
        refunded_amount=_cents(order.refunded_amount),
        attribution=_attribution(order),
        pending=order.intake is not None,
    )


RESPOND_ASYNC = "respond-async"
PreferHeader = Annotated[
    str | None,
    Header(
        alias="Prefer",
        description=(
            "`respond-async` (RFC 7240): the order is stored at once and attributed by a "
            "worker; the answer is 202 with `Preference-Applied: respond-async`, `Location` "
            "(the order's GET, to poll) and `pending: true`. Without it the order is "
            "attributed before the answer (201)."
        ),
        max_length=1000,
    ),
]


def prefers_async(prefer: str | None) -> bool:
    """Whether a ``Prefer`` header (RFC 7240: comma-separated preferences, each with
    optional ``;`` parameters, names case-insensitive) asks for ``respond-async``."""
    if not prefer:
        return False
    return any(
        part.split(";", 1)[0].split("=", 1)[0].strip().lower() == RESPOND_ASYNC
        for part in prefer.split(",")
    )


@router.post(f"{PROGRAM}/orders", response=_responses(200, 201, 202, model=s.OrderOut))
def post_order(
    request: HttpRequest,
    slug: str,
    payload: OrderData,
    response: HttpResponse,
    prefer: PreferHeader = None,
) -> Status[Any]:
    """Record an order (every order, referred or not); idempotent on ``external_id``.

    With ``Prefer: respond-async`` the order is stored at once and attributed by a worker
    (202, ``pending: true``); a replay answers 200 with the order as it is now."""
    if prefers_async(prefer):
        outcome = accept_order(program_of(request), payload)
        if outcome.created:
            response["Preference-Applied"] = RESPOND_ASYNC
            response["Location"] = f"{request.path.rstrip('/')}/{quote(payload.external_id)}"
            return Status(202, _order_out(outcome.order))
        return Status(200, _order_out(outcome.order))
    outcome = record_order(program_of(request), payload)
    # The service's own instance holds what was written (its referral too): no re-read.
    return Status(201 if outcome.created else 200, _order_out(outcome.order))


@router.get(f"{PROGRAM}/orders/{{external_id}}", response=_responses(200, model=s.OrderOut))
def get_order(request: HttpRequest, slug: str, external_id: str) -> s.OrderOut:
    """One order as it is now: ``pending`` until a worker attributed an order accepted
    with ``Prefer: respond-async``, then its ``attribution`` (null: not referred)."""
    order = Order.objects.filter(program=program_of(request), external_id=external_id).first()
    if order is None:
        raise NotFound(_("No order with this external id."), field="external_id")
    return _order_out(order)


@router.post(
    f"{PROGRAM}/orders/{{external_id}}/refunds", response=_responses(200, 201, model=s.RefundOut)
)
def post_refund(
    request: HttpRequest, slug: str, external_id: str, payload: RefundData
) -> Status[Any]:
    """Record a refund of an order; idempotent on the refund's ``external_id``."""
    outcome = record_refund_outcome(program_of(request), external_id, payload)
    refund = outcome.refund
    order = Order.objects.get(pk=refund.order_id)
    body = s.RefundOut(
        id=refund.pk,
        external_id=refund.external_id,
        order_external_id=order.external_id,
        amount=refund.amount,
        refunded_at=refund.refunded_at,
        attribution=_attribution(order),
    )
    return Status(201 if outcome.created else 200, body)


# Loyalty ledger


def _loyalty_contact(
    program: Any, email: str | None, external_id: str | None, field: str = ""
) -> Contact:
    if email:
        found, field = find_contact(program, email), field or "email"
    else:
        found = Contact.objects.filter(program=program, external_id=external_id).first()
        field = field or "contact_external_id"
    if found is None or found.is_erased:
        raise NotFound(_("No contact matches in this program."), field=field)
    return found


def _loyalty_order(program: Any, external_id: str | None) -> Order | None:
    if not external_id:
        return None
    order = Order.objects.filter(program=program, external_id=external_id).first()
    if order is None:
        raise NotFound(_("No order with this external id."), field="order_external_id")
    return order


def _record_loyalty(program: Any, data: s.LoyaltyActionIn, actor: str) -> tuple[LoyaltyEntry, bool]:
    contact = _loyalty_contact(program, data.email, data.contact_external_id)
    return loyalty.record_action(
        program,
        contact,
        data.kind,
        data.points,
        occurred_at=data.occurred_at,
        source="api",
        external_id=data.external_id,
        order=_loyalty_order(program, data.order_external_id),
        reason=data.reason,
        custom_kind=data.custom_kind,
        actor=actor,
    )


def _entry_out(entry: LoyaltyEntry) -> s.LoyaltyEntryOut:
    return s.LoyaltyEntryOut(
        id=entry.pk,
        kind=entry.kind,
        custom_kind=entry.custom_kind,
        points=entry.points,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
        source=entry.source,
        external_id=entry.external_id,
        order_external_id=entry.order.external_id if entry.order else None,
        reversal_of=entry.reversal_of_id,
        reason=entry.reason,
    )


@router.post(f"{PROGRAM}/loyalty/actions", response=_responses(200, 201, model=s.LoyaltyActionOut))
def post_loyalty_action(request: HttpRequest, slug: str, payload: s.LoyaltyActionIn) -> Status[Any]:
    """Record one loyalty action; idempotent on ``external_id`` (a replay answers 200)."""
    entry, created = _record_loyalty(program_of(request), payload, actor_of(request))
    body = s.LoyaltyActionOut(
        **_entry_out(entry).model_dump(),
        contact_id=entry.contact_id,
        balance=loyalty.balance(entry.contact),
    )
    return Status(201 if created else 200, body)


@router.post(
    f"{PROGRAM}/loyalty/actions/batch",
    response=_responses(200, model=s.LoyaltyBatchOut),
    exclude_none=True,
)
def post_loyalty_batch(request: HttpRequest, slug: str, payload: s.LoyaltyBatchIn) -> Any:
    """Record many loyalty actions; each row is validated and stored on its own."""
    if len(payload.rows) > s.MAX_LOYALTY_BATCH:
        raise TooManyRows(
            _("Send at most %(limit)s rows per request.") % {"limit": s.MAX_LOYALTY_BATCH},
            field="rows",
        )
    program = program_of(request)
    actor = actor_of(request)
    results = [_loyalty_row(program, index, row, actor) for index, row in enumerate(payload.rows)]
    counts = {kind: sum(r.status == kind for r in results) for kind in ("created", "replayed")}
    return s.LoyaltyBatchOut(
        created=counts["created"],
        replayed=counts["replayed"],
        failed=len(results) - counts["created"] - counts["replayed"],
        results=results,
    )


def _loyalty_row(program: Any, index: int, row: Any, actor: str) -> s.LoyaltyRowResult:
    try:
        data = s.LoyaltyActionIn.model_validate(row)
    except PydanticValidationError as exc:
        errors = [{"field": f, "message": m} for f, m in pydantic_errors(exc.errors())]
        return s.LoyaltyRowResult(index=index, status="error", errors=errors)
    try:
        with transaction.atomic():
            entry, created = _record_loyalty(program, data, actor)
    except ParrainError as exc:
        error = {"field": exc.field or "", "message": exc.message}
        return s.LoyaltyRowResult(index=index, status="error", errors=[error])
    status = "created" if created else "replayed"
    return s.LoyaltyRowResult(index=index, status=status, id=entry.pk)


class LedgerQuery(BaseModel):
    by: Literal["email", "external_id"] = Field(
        "email", description="Whether the path names the contact by email or by the shop's id."
    )
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


@router.get(
    f"{PROGRAM}/contacts/{{contact}}/loyalty", response=_responses(200, model=s.LoyaltyLedgerOut)
)
def get_loyalty(
    request: HttpRequest,
    slug: str,
    contact: Annotated[str, Path(max_length=254)],
    q: Query[LedgerQuery],
) -> Any:
    """A contact's points balance and ledger, newest line first, one page at a time."""
    program = program_of(request)
    if q.by == "email":
        found = _loyalty_contact(program, contact, None, field="contact")
    else:
        found = _loyalty_contact(program, None, contact, field="contact")
    limit = q.limit or min(parrain_settings.PAGE_SIZE, MAX_PAGE)
    qs = after_cursor(LoyaltyEntry.objects.filter(contact=found), q.cursor, "recorded_at")
    page = list(qs.select_related("order").order_by("-recorded_at", "-pk")[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    cursor = encode_cursor(page[-1].recorded_at, page[-1].pk) if more else None
    return s.LoyaltyLedgerOut(
        contact_id=found.pk,
        balance=loyalty.balance(found),
        items=[_entry_out(e) for e in page],
        next_cursor=cursor,
    )


# Badges


class HoldersQuery(BaseModel):
    history: bool = Field(False, description="Include the holdings already lost.")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


def _badge(request: HttpRequest, badge_id: int) -> Badge:
    """A badge of the key's program; another program's badge is as unknown as a missing one."""
    badge = (
        Badge.objects.select_related("program")
        .filter(program=program_of(request), pk=badge_id)
        .first()
    )
    if badge is None:
        raise NotFound(_("No badge with this id in this program."), field="badge_id")
    return badge


def _recompute_out(program: Any) -> s.RecomputeOut | None:
    latest = BadgeRecompute.objects.filter(program=program).order_by("-created_at", "-pk").first()
    if latest is None:
        return None
    return s.RecomputeOut.model_validate(
        {**latest.__dict__, "percent": latest.percent}, from_attributes=False
    )


def _badge_out(badge: Badge) -> s.BadgeOut:
    return s.BadgeOut(
        id=badge.pk,
        rank=badge.rank,
        name=badge.name(),
        names=badge.names,
        descriptions=badge.descriptions or {},
        image_url=badges.image_url(badge),
        colour=badge.colour,
        match=badge.match,
        keep_once_earned=badge.keep_once_earned,
        reward_rule=badge.reward_rule_id,
        is_active=badge.is_active,
        holders=badge.holdings.filter(lost_at__isnull=True).count(),
        conditions=[
            s.BadgeConditionOut(
                id=c.pk,
                kind=c.kind,
                threshold=c.threshold,
                period_days=c.period_days,
                action_kind=c.action_kind,
                custom_kind=c.custom_kind,
                required_badge=c.required_badge_id,
            )
            for c in badge.conditions.order_by("pk")
        ],
        recompute=_recompute_out(badge.program),
        created_at=badge.created_at,
        updated_at=badge.updated_at,
    )


@router.get(f"{PROGRAM}/badges", response=_responses(200, model=s.BadgeList))
def list_badges(request: HttpRequest, slug: str) -> Any:
    """Every badge of the program, by rank, inactive ones included."""
    found = Badge.objects.filter(program=program_of(request)).select_related("program")
    return s.BadgeList(items=[_badge_out(b) for b in found.order_by("rank", "pk")])


@router.post(f"{PROGRAM}/badges", response=_responses(201, model=s.BadgeOut))
def create_badge(request: HttpRequest, slug: str, payload: s.BadgeIn) -> Status[Any]:
    """Define a badge with its conditions; the program's contacts are then re-evaluated in
    the background (see ``recompute``)."""
    data = payload.model_dump()
    conditions = data.pop("conditions")
    badge = badge_setup.create_badge(
        program_of(request), conditions=conditions, actor=actor_of(request), **data
    )
    return Status(201, _badge_out(badge))


@router.get(f"{PROGRAM}/badges/{{badge_id}}", response=_responses(200, model=s.BadgeOut))
def get_badge(request: HttpRequest, slug: str, badge_id: BadgeId) -> Any:
    return _badge_out(_badge(request, badge_id))


@router.patch(f"{PROGRAM}/badges/{{badge_id}}", response=_responses(200, model=s.BadgeOut))
def patch_badge(request: HttpRequest, slug: str, badge_id: BadgeId, payload: s.BadgePatch) -> Any:
    """Change the fields sent; ``conditions`` replaces every condition. All or nothing."""
    badge, actor = _badge(request, badge_id), actor_of(request)
    changes = payload.model_dump(exclude_unset=True)
    conditions = changes.pop("conditions", None)
    for field in ("names", "rank", "colour", "match", "keep_once_earned", "is_active"):
        if field in changes and changes[field] is None:
            raise InvalidInput(_("This field cannot be null."), field=field)
    with transaction.atomic():
        badge = badge_setup.update_badge(badge, actor=actor, **changes)
        if conditions is not None:
            badge_setup.set_conditions(badge, conditions, actor=actor)
    return _badge_out(_badge(request, badge_id))


@router.delete(f"{PROGRAM}/badges/{{badge_id}}", response=_responses(204, model=None))
def delete_badge(request: HttpRequest, slug: str, badge_id: BadgeId) -> Status[None]:
    """Delete a badge and its holders' history (refused while another badge requires it)."""
    badge_setup.delete_badge(_badge(request, badge_id), actor=actor_of(request))
    return Status(204, None)


IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {
                            "type": "string",
                            "format": "binary",
                            "description": "PNG, JPEG or WebP, at most 1 MB; no SVG.",
                        }
                    },
                }
            }
        },
    }
}


@router.put(
    f"{PROGRAM}/badges/{{badge_id}}/image",
    response=_responses(200, model=s.BadgeOut),
    openapi_extra=IMAGE_BODY,
)
@accepts_upload
def put_badge_image(request: HttpRequest, slug: str, badge_id: BadgeId) -> Any:
    """Upload the badge's picture as multipart field ``image``: PNG, JPEG or WebP of at most
    1 MB, checked by decoding it and stored as a 256 px PNG thumbnail."""
    badge = _badge(request, badge_id)
    upload = _uploaded_image(request)
    badge = badge_setup.set_image(badge, upload, actor=actor_of(request))
    return _badge_out(badge)


def _uploaded_image(request: HttpRequest) -> Any:
    if int(request.META.get("CONTENT_LENGTH") or 0) > badge_setup.MAX_IMAGE_BYTES + UPLOAD_OVERHEAD:
        raise badge_setup.ImageTooLarge(_("The image is larger than 1 MB."), field="image")
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise InvalidInput(_("Send the image as multipart/form-data, field image."), field="image")
    upload = parse_multipart(request).get("image")
    if upload is None:
        raise InvalidInput(_("Send the image as multipart/form-data, field image."), field="image")
    return upload


@router.get(
    f"{PROGRAM}/badges/{{badge_id}}/holders", response=_responses(200, model=s.BadgeHolderPage)
)
def badge_holders(
    request: HttpRequest, slug: str, badge_id: BadgeId, q: Query[HoldersQuery]
) -> Any:
    """Who holds the badge, latest award first, one page at a time; ``history=true`` adds
    the holdings already lost."""
    badge = _badge(request, badge_id)
    limit = q.limit or min(parrain_settings.PAGE_SIZE, MAX_PAGE)
    qs = BadgeHolding.objects.filter(badge=badge)
    if not q.history:
        qs = qs.filter(lost_at__isnull=True)
    qs = after_cursor(qs, q.cursor, "awarded_at").select_related("contact")
    page = list(qs.order_by("-awarded_at", "-pk")[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    cursor = encode_cursor(page[-1].awarded_at, page[-1].pk) if more else None
    items = [
        s.BadgeHolderOut(
            contact_id=h.contact_id,
            email=h.contact.email,
            awarded_at=h.awarded_at,
            lost_at=h.lost_at,
            awarded_by=h.awarded_by,
            lost_by=h.lost_by,
            reason=h.reason,
        )
        for h in page
    ]
    return s.BadgeHolderPage(items=items, next_cursor=cursor)


class ContactQuery(BaseModel):
    by: Literal["email", "external_id"] = Field(
        "email", description="Whether the path names the contact by email or by the shop's id."
    )


class ContactBadgesQuery(ContactQuery):
    language: str = Field("", max_length=8, description="Language of names and progress texts.")


def _path_contact(request: HttpRequest, contact: str, by: str) -> Contact:
    program = program_of(request)
    if by == "email":
        return _loyalty_contact(program, contact, None, field="contact")
    return _loyalty_contact(program, None, contact, field="contact")


def _badge_ref(badge: Badge, language: str) -> dict[str, Any]:
    return {
        "id": badge.pk,
        "rank": badge.rank,
        "name": badge.name(language),
        "image_url": badges.image_url(badge),
        "colour": badge.colour,
    }


@router.get(
    f"{PROGRAM}/contacts/{{contact}}/badges", response=_responses(200, model=s.ContactBadgesOut)
)
def contact_badges(
    request: HttpRequest,
    slug: str,
    contact: Annotated[str, Path(max_length=254)],
    q: Query[ContactBadgesQuery],
) -> Any:
    """A contact's current badge, earned badges, the next badge with progress per
    condition, and points balance."""
    found = _path_contact(request, contact, q.by)
    language = q.language or found.language or found.program.default_language
    shown = badges.contact_badges(found, language)
    following = None
    if shown.next is not None:
        following = s.NextBadgeOut(
            **_badge_ref(shown.next.badge, language),
            match=shown.next.match,
            missing=shown.next.missing,
            conditions=[s.ConditionProgressOut(**c.__dict__) for c in shown.next.conditions],
        )
    return s.ContactBadgesOut(
        contact_id=found.pk,
        current=s.BadgeRef(**_badge_ref(shown.current, language)) if shown.current else None,
        earned=[
            s.EarnedBadgeOut(**_badge_ref(h.badge, language), awarded_at=h.awarded_at)
            for h in shown.earned
        ],
        next=following,
        balance=shown.balance,
    )


def _decision_out(badge: Badge, contact: Contact, holding: Any, changed: bool) -> Any:
    return s.BadgeDecisionOut(
        badge_id=badge.pk,
        contact_id=contact.pk,
        held=holding is not None and holding.lost_at is None,
        changed=changed,
        awarded_at=holding.awarded_at if holding is not None else None,
        lost_at=holding.lost_at if holding is not None else None,
    )


@router.post(
    f"{PROGRAM}/contacts/{{contact}}/badges/{{badge_id}}/award",
    response=_responses(200, 201, model=s.BadgeDecisionOut),
)
def award_badge(
    request: HttpRequest,
    slug: str,
    contact: Annotated[str, Path(max_length=254)],
    badge_id: BadgeId,
    payload: s.BadgeDecisionIn,
    q: Query[ContactQuery],
) -> Status[Any]:
    """Give the badge by hand, with a reason; 200 when the contact already holds it."""
    found, badge = _path_contact(request, contact, q.by), _badge(request, badge_id)
    holding, created = badges.award(badge, found, actor=actor_of(request), reason=payload.reason)
    return Status(201 if created else 200, _decision_out(badge, found, holding, created))


@router.post(
    f"{PROGRAM}/contacts/{{contact}}/badges/{{badge_id}}/revoke",
    response=_responses(200, model=s.BadgeDecisionOut),
)
def revoke_badge(
    request: HttpRequest,
    slug: str,
    contact: Annotated[str, Path(max_length=254)],
    badge_id: BadgeId,
    payload: s.BadgeDecisionIn,
    q: Query[ContactQuery],
) -> Any:
    """Take the badge back by hand, with a reason; ``changed`` is false when the contact did
    not hold it."""
    found, badge = _path_contact(request, contact, q.by), _badge(request, badge_id)
    holding = badges.revoke(badge, found, actor=actor_of(request), reason=payload.reason)
    return _decision_out(badge, found, holding, holding is not None)


# Stats


class StatsQuery(BaseModel):
    start: date = Field(description="First day (YYYY-MM-DD), in the site's time zone.")
    end: date = Field(description="Last day (YYYY-MM-DD), included.")


class SeriesQuery(StatsQuery):
    interval: Literal["day"] = "day"


class SeriesOut(BaseModel):
    interval: Literal["day"]
    points: list[stats.SeriesPoint]


def _check_range(start: date, end: date) -> None:
    for field, day in (("start", start), ("end", end)):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise InvalidInput(_("Give a date between 1970 and 2999."), field=field)
    if start > end:
        raise InvalidInput(_("The start date must not be after the end date."), field="end")
    if (end - start).days + 1 > MAX_STATS_DAYS:
        raise InvalidInput(
            _("Ask for at most %(days)s days at once.") % {"days": MAX_STATS_DAYS}, field="end"
        )


@router.get(f"{PROGRAM}/stats", response=_responses(200, model=stats.DashboardFigures))
def get_stats(request: HttpRequest, slug: str, q: Query[StatsQuery]) -> Any:
    """The dashboard figures over ``[start, end]`` (whole days, at most 366)."""
    _check_range(q.start, q.end)
    return stats.dashboard(program_of(request), q.start, q.end)


@router.get(f"{PROGRAM}/stats/series", response=_responses(200, model=SeriesOut))
def get_series(request: HttpRequest, slug: str, q: Query[SeriesQuery]) -> Any:
    """One point per day of ``[start, end]``, zero days included."""
    _check_range(q.start, q.end)
    return SeriesOut(interval=q.interval, points=stats.series(program_of(request), q.start, q.end))


# Referrals and the review queue


class ReferralFilters(BaseModel):
    status: ReferralStatus | None = None
    referrer: str | None = Field(None, max_length=254, description="Referrer email or code.")
    since: Moment | None = Field(None, description="Invited at or after this moment.")
    until: Moment | None = Field(None, description="Invited before this moment.")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _filtered(request: HttpRequest, f: ReferralFilters) -> Any:
    qs = Referral.objects.filter(program=program_of(request))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.referrer and "@" in f.referrer:
        qs = qs.filter(referrer__email_normalized=normalize_email(f.referrer))
    elif f.referrer:
        qs = qs.filter(referrer__referrer_code=f.referrer.strip().upper())
    if f.since:
        qs = qs.filter(invited_at__gte=_aware(f.since))
    if f.until:
        qs = qs.filter(invited_at__lt=_aware(f.until))
    return after_cursor(qs, f.cursor)


def _referral_out(referral: Referral) -> s.ReferralOut:
    return s.ReferralOut(
        id=referral.pk,
        status=referral.status,
        referrer=s.ReferrerRef(
            id=referral.referrer.pk,
            email=referral.referrer.email,
            code=referral.referrer.referrer_code,
        ),
        referee=s.PersonRef(id=referral.referee.pk, email=referral.referee.email),
        order_external_id=referral.order.external_id if referral.order else None,
        review_reason=referral.review_reason,
        cancel_reason=referral.cancel_reason,
        invited_at=referral.invited_at,
        registered_at=referral.registered_at,
        converted_at=referral.converted_at,
        validated_at=referral.validated_at,
        rewarded_at=referral.rewarded_at,
        cancelled_at=referral.cancelled_at,
    )


@router.get(f"{PROGRAM}/referrals", response=_responses(200, model=s.ReferralPage))
def list_referrals(request: HttpRequest, slug: str, f: Query[ReferralFilters]) -> Any:
    """Referrals, newest invitation first, one page at a time."""
    limit = f.limit or min(parrain_settings.PAGE_SIZE, MAX_PAGE)
    qs = _filtered(request, f).select_related("referrer", "referee", "order")
    page = list(qs.order_by("-invited_at", "-pk")[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    cursor = encode_cursor(page[-1].invited_at, page[-1].pk) if more else None
    return s.ReferralPage(items=[_referral_out(r) for r in page], next_cursor=cursor)


def _reviewed(request: HttpRequest, referral_id: int) -> Referral:
    referral = Referral.objects.filter(program=program_of(request), pk=referral_id).first()
    if referral is None:
        raise NotFound(_("No referral with this id in this program."), field="id")
    if referral.status != ReferralStatus.REVIEW:
        raise Refused("not_in_review", _("This referral is not waiting for review."))
    return referral


def _reloaded(referral_id: int) -> s.ReferralOut:
    related = ("referrer", "referee", "order")
    return _referral_out(Referral.objects.select_related(*related).get(pk=referral_id))


@router.post(
    f"{PROGRAM}/referrals/{{referral_id}}/approve", response=_responses(200, model=s.ReferralOut)
)
def approve(request: HttpRequest, slug: str, referral_id: ReferralId) -> Any:
    """Approve a referral held for review: it goes on as if never held."""
    referral = _reviewed(request, referral_id)
    review.approve_referral(referral.pk, actor=actor_of(request))
    return _reloaded(referral.pk)


@router.post(
    f"{PROGRAM}/referrals/{{referral_id}}/reject", response=_responses(200, model=s.ReferralOut)
)
def reject(
    request: HttpRequest, slug: str, referral_id: ReferralId, payload: s.RejectIn | None = None
) -> Any:
    """Reject a referral held for review: it is cancelled and its welcome offer withdrawn."""
    referral = _reviewed(request, referral_id)
    reason = payload.reason if payload else s.RejectIn().reason
    review.reject_referral(referral.pk, actor=actor_of(request), reason=reason)
    return _reloaded(referral.pk)
