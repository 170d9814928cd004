"""The management API (issue 16 §2): account keys (``mk_…``, scope ``manage``) set up
programs over HTTP, as a shop owner does in the admin.

Paths live under ``/api/v1/manage/…``: programs, their reward rules, their secret API keys
and their identity key. Resources that belong to one program and already have endpoints
under ``/api/v1/programs/<slug>/…`` (badges, boosts, contests, scenario, message
templates, imports…) stay there: an account key is accepted on them too
(:class:`~parrain.core.api.security.ProgramAccess`). Plugins add their own resources
(the webhooks plugin: inbound and outbound endpoints) by adding a router with
``auth=ManageKey()`` to :data:`parrain.core.api.main.api` from their ``AppConfig.ready``.

Every change goes through a service (``core/services/program_setup.py``) that writes an
audit entry whose actor is :func:`~parrain.core.api.security.actor_of`; errors are the
same problem+json answers as the rest of the server API; secrets are returned once, at
creation and on rotation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from django.db import IntegrityError
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from pydantic import BaseModel, Field

from ..conf import parrain_settings
from ..exceptions import InvalidInput, NotFound, ParrainError
from ..models import AccountKey, ApiKey, Contact, Order, Program, Referral, RewardRule
from ..rotation import grace_ends_at
from ..services import keys as key_service
from ..services import program_setup
from ..services.secrets import reveal_secret, rotate_identity_secret
from . import manage_schemas as m
from .pagination import after_cursor, encode_cursor
from .problems import Problem
from .security import ManageKey, actor_of

MANAGE = "/manage"
PROGRAM = f"{MANAGE}/programs/{{slug}}"
MAX_PAGE = 200
ItemId = Annotated[int, Path(ge=1, lt=2**63)]
#: Every answer may be one of these: a malformed request, a missing or wrong key (401),
#: an unknown program or item, a body too large, invalid input.
READ_ERRORS = (400, 401, 404, 413, 422)
#: Changes may also meet a conflict (409: data in the way, an Idempotency-Key in use) or
#: a body that is not JSON (415).
WRITE_ERRORS = (*READ_ERRORS, 409, 415)
#: Answers holding a clear secret are never cached, nor kept for Idempotency-Key replays.
NO_STORE = "no-store"

router = Router(auth=ManageKey(), tags=["manage"])


def _reads(model: Any, *success: int) -> dict[int, Any]:
    return {
        **{status: model for status in success or (200,)},
        **dict.fromkeys(READ_ERRORS, Problem),
    }


def _writes(model: Any, *success: int) -> dict[int, Any]:
    return {
        **{status: model for status in success or (200,)},
        **dict.fromkeys(WRITE_ERRORS, Problem),
    }


class ProgramHasData(ParrainError):
    """Its problem also gives the counts: ``contacts``, ``referrals``, ``orders``."""

    status = 409
    code = "program-has-data"

    @property
    def problem_fields(self) -> dict[str, object]:
        return self.extra


class RuleInUse(ParrainError):
    status = 409
    code = "rule-in-use"


# Programs


def _program(slug: str) -> Program:
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise NotFound(_("There is no program with this slug."), field="slug")
    return program


def _program_out(program: Program) -> m.ProgramOut:
    fields = {name: getattr(program, name) for name in m.ProgramOut.model_fields}
    for name in ("quiet_hours_start", "quiet_hours_end"):
        fields[name] = fields[name].strftime("%H:%M") if fields[name] else None
    return m.ProgramOut.model_validate(fields)


class PageQuery(BaseModel):
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


@router.get(f"{MANAGE}/programs", response=_reads(m.ProgramPage))
def list_programs(request: HttpRequest, q: Query[PageQuery]) -> m.ProgramPage:
    """Every program, newest first, a page at a time."""
    limit = q.limit or min(parrain_settings.PAGE_SIZE, MAX_PAGE)
    qs = after_cursor(Program.objects.all(), q.cursor, "created_at")
    page = list(qs.order_by("-created_at", "-pk")[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    cursor = encode_cursor(page[-1].created_at, page[-1].pk) if more else None
    return m.ProgramPage(items=[_program_out(p) for p in page], next_cursor=cursor)


@router.post(f"{MANAGE}/programs", response=_writes(m.ProgramOut, 201))
def create_program(request: HttpRequest, payload: m.ProgramIn) -> Status[m.ProgramOut]:
    """A new program; ``name`` and ``slug`` are required, the rest has the admin's defaults.
    Create its secret keys and reward rules next."""
    try:
        program = program_setup.create_program(payload.model_dump(), actor=actor_of(request))
    except IntegrityError:  # the slug taken meanwhile, by a concurrent request
        raise _slug_taken() from None
    return Status(201, _program_out(program))


def _slug_taken() -> InvalidInput:
    return InvalidInput(_("A program with this slug already exists."), field="slug")


@router.get(PROGRAM, response=_reads(m.ProgramOut))
def read_program(request: HttpRequest, slug: str) -> m.ProgramOut:
    return _program_out(_program(slug))


@router.patch(PROGRAM, response=_writes(m.ProgramOut))
def update_program(request: HttpRequest, slug: str, payload: m.ProgramPatch) -> m.ProgramOut:
    """Change the fields sent; nothing is stored if one of them is refused."""
    program = _program(slug)
    try:
        program_setup.update_program(program, payload.changes(), actor=actor_of(request))
    except IntegrityError:
        raise _slug_taken() from None
    return _program_out(Program.objects.get(pk=program.pk))


class DeleteQuery(BaseModel):
    confirm: str | None = Field(
        None,
        max_length=60,
        description="The program's slug: needed to delete a program that holds contacts, "
        "referrals or orders (they are deleted with it).",
    )


@router.delete(PROGRAM, response={204: None, **dict.fromkeys(WRITE_ERRORS, Problem)})
def delete_program(request: HttpRequest, slug: str, q: Query[DeleteQuery]) -> Status[None]:
    """Delete a program. One with contacts, referrals or orders answers 409
    ``program-has-data`` unless ``?confirm=<slug>`` says to delete them all."""
    program = _program(slug)
    if q.confirm is not None and q.confirm != program.slug:
        raise InvalidInput(_("Give the program's slug to confirm."), field="confirm")
    held = _held_data(program)
    if any(held.values()) and q.confirm is None:
        raise ProgramHasData(
            _(
                "This program holds %(contacts)s contacts, %(referrals)s referrals and "
                "%(orders)s orders; add ?confirm=%(slug)s to delete them with it."
            )
            % {**held, "slug": program.slug},
            **held,
        )
    program_setup.delete_program(program, actor=actor_of(request))
    return Status(204, None)


def _held_data(program: Program) -> dict[str, int]:
    return {
        "contacts": Contact.objects.filter(program=program).count(),
        "referrals": Referral.objects.filter(program=program).count(),
        "orders": Order.objects.filter(program=program).count(),
    }


# Reward rules


def _rules(program: Program) -> QuerySet[RewardRule]:
    """The program's rules but a boost's own (changed with the boost, frozen once it runs)."""
    return program.reward_rules.filter(
        boosts_as_referrer__isnull=True, boosts_as_referee__isnull=True
    ).order_by("pk")


def _rule(program: Program, rule_id: int) -> RewardRule:
    rule = _rules(program).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("This program has no such reward rule."), field="rule_id")
    return rule


def _rule_out(rule: RewardRule) -> m.RuleOut:
    return m.RuleOut.model_validate({name: getattr(rule, name) for name in m.RuleOut.model_fields})


@router.get(f"{PROGRAM}/reward-rules", response=_reads(list[m.RuleOut]))
def list_rules(request: HttpRequest, slug: str) -> list[m.RuleOut]:
    """The program's reward rules (a boost's own rules are the boost's)."""
    return [_rule_out(rule) for rule in _rules(_program(slug))]


@router.post(f"{PROGRAM}/reward-rules", response=_writes(m.RuleOut, 201))
def create_rule(request: HttpRequest, slug: str, payload: m.RuleIn) -> Status[m.RuleOut]:
    """A new rule; the newest active rule of a side is the program's offer for it."""
    rule = program_setup.create_rule(_program(slug), payload.model_dump(), actor=actor_of(request))
    return Status(201, _rule_out(rule))


@router.get(f"{PROGRAM}/reward-rules/{{rule_id}}", response=_reads(m.RuleOut))
def read_rule(request: HttpRequest, slug: str, rule_id: ItemId) -> m.RuleOut:
    return _rule_out(_rule(_program(slug), rule_id))


@router.patch(f"{PROGRAM}/reward-rules/{{rule_id}}", response=_writes(m.RuleOut))
def update_rule(
    request: HttpRequest, slug: str, rule_id: ItemId, payload: m.RulePatch
) -> m.RuleOut:
    """Change the fields sent; rewards already issued keep the terms they were given."""
    rule = _rule(_program(slug), rule_id)
    program_setup.update_rule(rule, payload.changes(), actor=actor_of(request))
    return _rule_out(RewardRule.objects.get(pk=rule.pk))


@router.delete(
    f"{PROGRAM}/reward-rules/{{rule_id}}",
    response={204: None, **dict.fromkeys(WRITE_ERRORS, Problem)},
)
def delete_rule(request: HttpRequest, slug: str, rule_id: ItemId) -> Status[None]:
    """Delete a rule; one a contest prize uses answers 409 ``rule-in-use`` (deactivate it
    with ``is_active: false`` instead)."""
    rule = _rule(_program(slug), rule_id)
    try:
        program_setup.delete_rule(rule, actor=actor_of(request))
    except (ProtectedError, RestrictedError):
        raise RuleInUse(
            _("A contest prize uses this rule; deactivate it instead (is_active: false).")
        ) from None
    return Status(204, None)


# The program's secret API keys


def _key_fields(key: ApiKey | AccountKey) -> dict[str, Any]:
    now = timezone.now()
    return {
        "id": key.pk,
        "prefix": key.prefix,
        "label": key.label,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
        "active": key.revoked_at is None or key.revoked_at > now,
    }


def _key(program: Program, key_id: int) -> ApiKey:
    key = program.api_keys.filter(pk=key_id).first()
    if key is None:
        raise NotFound(_("This program has no such key."), field="key_id")
    return key


def _secret(response: HttpResponse) -> None:
    response["Cache-Control"] = NO_STORE


@router.get(f"{PROGRAM}/keys", response=_reads(list[m.KeyOut]))
def list_keys(request: HttpRequest, slug: str) -> list[m.KeyOut]:
    """The program's secret keys, newest first (prefix, label, last use, revocation)."""
    keys = _program(slug).api_keys.order_by("-created_at", "-pk")
    return [m.KeyOut(**_key_fields(key)) for key in keys]


@router.post(f"{PROGRAM}/keys", response=_writes(m.KeyCreated, 201))
def create_key(
    request: HttpRequest, slug: str, payload: m.KeyIn, response: HttpResponse
) -> Status[m.KeyCreated]:
    """A new secret key (``sk_…``) for the shop's server: the clear key is in this answer
    only."""
    key, clear = key_service.create_api_key(_program(slug), payload.label, actor=actor_of(request))
    _secret(response)
    return Status(201, m.KeyCreated(**_key_fields(key), key=clear))


class RotateQuery(BaseModel):
    grace_minutes: int = Field(
        0,
        ge=0,
        le=1440,
        description="Minutes the old key stays accepted (0: refused at once; at most a day).",
    )


@router.post(f"{PROGRAM}/keys/{{key_id}}/rotate", response=_writes(m.KeyCreated, 201))
def rotate_key(
    request: HttpRequest,
    slug: str,
    key_id: ItemId,
    q: Query[RotateQuery],
    response: HttpResponse,
) -> Status[m.KeyCreated]:
    """A new key with the same label, in this answer only; the old one is revoked now or
    after ``grace_minutes``."""
    key = _key(_program(slug), key_id)
    new, clear = key_service.rotate_api_key(
        key, actor=actor_of(request), grace=timedelta(minutes=q.grace_minutes)
    )
    _secret(response)
    return Status(201, m.KeyCreated(**_key_fields(new), key=clear))


@router.post(f"{PROGRAM}/keys/{{key_id}}/revoke", response=_writes(m.KeyOut))
def revoke_key(request: HttpRequest, slug: str, key_id: ItemId) -> m.KeyOut:
    """Refuse the key from now on (a rotation's grace ends too); repeating it is harmless."""
    key = key_service.revoke_api_key(_key(_program(slug), key_id), actor=actor_of(request))
    return m.KeyOut(**_key_fields(key))


# The identity key


def _identity_out(program: Program, secret: str) -> m.IdentityKeyOut:
    grace = len(program.identity_secrets()) > 1
    until = grace_ends_at(program.identity_secret_rotated_at) if grace else None
    return m.IdentityKeyOut(secret=secret, previous_accepted_until=until)


@router.post(f"{PROGRAM}/identity-key/reveal", response=_writes(m.IdentityKeyOut))
def reveal_identity_key(
    request: HttpRequest, slug: str, response: HttpResponse
) -> m.IdentityKeyOut:
    """The key that signs identity tokens; each reveal is written to the audit log."""
    program = _program(slug)
    secret = reveal_secret(program, program, "identity_secret", actor=actor_of(request))
    _secret(response)
    return _identity_out(program, secret)


@router.post(f"{PROGRAM}/identity-key/rotate", response=_writes(m.IdentityKeyOut, 201))
def rotate_identity_key(
    request: HttpRequest, slug: str, response: HttpResponse
) -> Status[m.IdentityKeyOut]:
    """A new identity key, in this answer; tokens signed with the previous one are still
    accepted until ``previous_accepted_until`` (PARRAIN_SECRET_ROTATION_GRACE)."""
    program = rotate_identity_secret(_program(slug), actor=actor_of(request))
    _secret(response)
    return Status(201, _identity_out(program, program.identity_secret))


# Account keys


def _account_fields(key: AccountKey) -> dict[str, Any]:
    return {**_key_fields(key), "scope": key.scope, "created_by": key.created_by}


@router.get(f"{MANAGE}/account-keys", response=_reads(list[m.AccountKeyOut]))
def list_account_keys(request: HttpRequest) -> list[m.AccountKeyOut]:
    """Every account key, newest first."""
    keys = AccountKey.objects.order_by("-created_at", "-pk")
    return [m.AccountKeyOut(**_account_fields(key)) for key in keys]


@router.post(f"{MANAGE}/account-keys", response=_writes(m.AccountKeyCreated, 201))
def create_account_key(
    request: HttpRequest, payload: m.KeyIn, response: HttpResponse
) -> Status[m.AccountKeyCreated]:
    """A new account key (``mk_…``, scope ``manage``): the clear key is in this answer
    only. Logged (``parrain.audit``) with the key that asked."""
    key, clear = key_service.create_account_key(payload.label, actor=actor_of(request))
    _secret(response)
    return Status(201, m.AccountKeyCreated(**_account_fields(key), key=clear))


@router.post(f"{MANAGE}/account-keys/{{key_id}}/revoke", response=_writes(m.AccountKeyOut))
def revoke_account_key(request: HttpRequest, key_id: ItemId) -> m.AccountKeyOut:
    """Refuse an account key from now on (this one too, if it is the key calling)."""
    key = AccountKey.objects.filter(pk=key_id).first()
    if key is None:
        raise NotFound(_("There is no such account key."), field="key_id")
    key = key_service.revoke_account_key(key, actor=actor_of(request))
    return m.AccountKeyOut(**_account_fields(key))
