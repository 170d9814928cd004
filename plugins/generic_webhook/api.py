"""``/api/v1/manage/programs/{slug}/webhooks/…``: a program's webhook endpoints over HTTP.

The plugin's part of the management API (issue 16 §2), with an account key (``mk_…``):
inbound endpoints (where Shopify, WooCommerce, Saleor or any shop sends its webhooks, and
the URL to paste there) and outbound endpoints (the shop's URLs that receive Parrain's
events). Secrets are returned once, at creation and on rotation; afterwards only their
masked form. Every change goes through ``endpoints`` (audited, actor ``api:mk_…``).

The core never imports this module: :func:`mount` adds the router to the core's API from
``WebhooksConfig.ready``, so an install without the plugin has no such paths.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from ninja import Path, Router, Status
from pydantic import BaseModel, ConfigDict, Field

from parrain.core.api.problems import Problem
from parrain.core.api.security import ManageKey, actor_of
from parrain.core.conf import parrain_settings
from parrain.core.exceptions import InvalidInput, NotFound
from parrain.core.models import Program
from parrain.core.rotation import grace_ends_at, masked

from . import endpoints
from .models import InboundEndpoint, OutboundEndpoint
from .outbound.events import EVENT_TYPES

router = Router(auth=ManageKey(), tags=["manage: webhooks"])
WEBHOOKS = "/manage/programs/{slug}/webhooks"
INBOUND = f"{WEBHOOKS}/inbound"
OUTBOUND = f"{WEBHOOKS}/outbound"
EndpointId = Annotated[int, Path(ge=1, lt=2**63)]
ERRORS: dict[int, type[Problem]] = {
    code: Problem for code in (400, 401, 404, 409, 413, 415, 422, 429)
}
SourceName = Literal["generic", "shopify", "woocommerce", "saleor"]
EventType = Literal[tuple(EVENT_TYPES)]  # type: ignore[valid-type]
Secret = Annotated[str, Field(min_length=16, max_length=120, pattern=r"^[\x21-\x7e]+$")]
SHOWN_ONCE = "The signing secret, shown in this answer only: store it now."


def _responses(*success: int, model: Any) -> dict[int, Any]:
    return {**{status: model for status in success}, **ERRORS}


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Schemas


class InboundIn(Input):
    source: SourceName = Field(description="The platform that sends the webhooks.")
    secret: Secret | None = Field(
        None,
        description="generic: leave out and Parrain makes a whsec_ secret (or give your own "
        "whsec_). shopify: the app's client secret. woocommerce: the webhook's secret. "
        "saleor: the webhook's secret key, or leave out to verify its JWS signatures.",
    )
    saleor_api_url: Annotated[str, Field(max_length=200)] = Field(
        "", description="saleor: e.g. https://shop.example/graphql/ (its keys are fetched there)."
    )
    is_active: bool = True


class InboundPatch(Input):
    saleor_api_url: Annotated[str, Field(max_length=200)] | None = None
    is_active: bool | None = None


class SecretState(BaseModel):
    secret_masked: str = Field(description="Its prefix and first characters, never the whole.")
    secret_rotated_at: datetime | None
    previous_secret_accepted_until: datetime | None = Field(
        description="After a rotation, the previous secret is still accepted until then."
    )


class InboundOut(SecretState):
    id: int
    source: SourceName
    url: str | None = Field(description="The address to paste in the platform's settings.")
    saleor_api_url: str
    is_active: bool
    created_at: datetime


class InboundWithSecret(InboundOut):
    secret: str = Field(description=SHOWN_ONCE)


class InboundList(BaseModel):
    items: list[InboundOut]


class OutboundIn(Input):
    url: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="https URL of the shop that receives the events (no private address)."
    )
    description: Annotated[str, Field(max_length=120)] = ""
    event_types: list[EventType] = Field(
        default_factory=list, max_length=len(EVENT_TYPES), description="Empty: every event."
    )
    secret: Secret | None = Field(
        None, description="A whsec_ secret of your own; leave out and Parrain makes one."
    )
    is_active: bool = True


class OutboundPatch(Input):
    url: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    description: Annotated[str, Field(max_length=120)] | None = None
    event_types: list[EventType] | None = Field(None, max_length=len(EVENT_TYPES))
    is_active: bool | None = Field(
        None, description="true on a disabled endpoint enables it again; pending messages go."
    )


class OutboundOut(SecretState):
    id: int
    url: str
    description: str
    event_types: list[str] = Field(description="Empty: every event.")
    is_active: bool
    disabled_at: datetime | None
    disabled_reason: str
    failing_since: datetime | None
    created_at: datetime


class OutboundWithSecret(OutboundOut):
    secret: str = Field(description=SHOWN_ONCE)


class OutboundList(BaseModel):
    items: list[OutboundOut]


class RotateIn(Input):
    secret: Secret | None = Field(
        None,
        description="The new secret; leave out and Parrain makes a whsec_ one (required for "
        "shopify and woocommerce, whose secret the platform makes).",
    )


# Shaping


def _secret_state(endpoint: InboundEndpoint | OutboundEndpoint) -> dict[str, Any]:
    rotated = endpoint.secret_rotated_at
    return {
        "secret_masked": masked(endpoint.secret),
        "secret_rotated_at": rotated,
        "previous_secret_accepted_until": grace_ends_at(rotated) if rotated else None,
    }


def inbound_url(endpoint: InboundEndpoint) -> str | None:
    """The absolute URL to paste in the platform; None when the project does not include
    the plugin's URLs."""
    try:
        path = reverse("parrain_webhooks:inbound", args=[endpoint.program.slug, endpoint.source])
    except NoReverseMatch:
        return None
    return parrain_settings.BASE_URL.rstrip("/") + path


def _inbound_out(endpoint: InboundEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "source": endpoint.source,
        "url": inbound_url(endpoint),
        "saleor_api_url": endpoint.saleor_api_url,
        "is_active": endpoint.is_active,
        "created_at": endpoint.created_at,
        **_secret_state(endpoint),
    }


def _outbound_out(endpoint: OutboundEndpoint) -> dict[str, Any]:
    fields = ("id", "url", "description", "event_types", "is_active", "created_at")
    return {
        **{name: getattr(endpoint, name) for name in fields},
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        **_secret_state(endpoint),
    }


def _program(slug: str) -> Program:
    program = Program.objects.filter(slug=slug).first()
    if program is None:
        raise NotFound(_("There is no program with this slug."), field="slug")
    return program


def _inbound(slug: str, endpoint_id: int) -> InboundEndpoint:
    found = (
        InboundEndpoint.objects.select_related("program")
        .filter(program=_program(slug), pk=endpoint_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No inbound endpoint with this id in this program."), field="endpoint_id")
    return found


def _outbound(slug: str, endpoint_id: int) -> OutboundEndpoint:
    found = (
        OutboundEndpoint.objects.select_related("program")
        .filter(program=_program(slug), pk=endpoint_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No outbound endpoint with this id in this program."), field="endpoint_id")
    return found


def _no_nulls(changes: dict[str, Any]) -> dict[str, Any]:
    for name, value in changes.items():
        if value is None:
            raise InvalidInput(_("This field cannot be null."), field=name)
    return changes


# Inbound


@router.get(INBOUND, response=_responses(200, model=InboundList))
def list_inbound(request: HttpRequest, slug: str) -> Any:
    """The program's inbound endpoints (one per platform), with the URL to paste."""
    found = InboundEndpoint.objects.filter(program=_program(slug)).select_related("program")
    return {"items": [_inbound_out(e) for e in found.order_by("pk")]}


@router.post(INBOUND, response=_responses(201, model=InboundWithSecret))
def create_inbound(request: HttpRequest, slug: str, payload: InboundIn) -> Status[Any]:
    """Open an endpoint for one platform; 409 when the program has one for it already."""
    endpoint = endpoints.create_inbound(
        _program(slug), payload.model_dump(exclude_none=True), actor=actor_of(request)
    )
    return Status(201, {**_inbound_out(endpoint), "secret": endpoint.secret})


@router.get(f"{INBOUND}/{{endpoint_id}}", response=_responses(200, model=InboundOut))
def get_inbound(request: HttpRequest, slug: str, endpoint_id: EndpointId) -> Any:
    return _inbound_out(_inbound(slug, endpoint_id))


@router.patch(f"{INBOUND}/{{endpoint_id}}", response=_responses(200, model=InboundOut))
def patch_inbound(
    request: HttpRequest, slug: str, endpoint_id: EndpointId, payload: InboundPatch
) -> Any:
    """Change the fields sent (the source stays; the secret changes by rotation)."""
    changes = _no_nulls(payload.model_dump(exclude_unset=True))
    endpoint = endpoints.update_inbound(
        _inbound(slug, endpoint_id), changes, actor=actor_of(request)
    )
    return _inbound_out(endpoint)


@router.delete(f"{INBOUND}/{{endpoint_id}}", response=_responses(204, model=None))
def delete_inbound(request: HttpRequest, slug: str, endpoint_id: EndpointId) -> Status[None]:
    """Delete the endpoint and what it received: the platform's webhooks then get 404."""
    endpoints.delete(_inbound(slug, endpoint_id), actor=actor_of(request))
    return Status(204, None)


@router.post(
    f"{INBOUND}/{{endpoint_id}}/rotate-secret", response=_responses(200, model=InboundWithSecret)
)
def rotate_inbound(
    request: HttpRequest, slug: str, endpoint_id: EndpointId, payload: RotateIn | None = None
) -> Any:
    """A new signing secret, returned once; the previous one is accepted during the grace
    period (``previous_secret_accepted_until``)."""
    secret = payload.secret if payload is not None else None
    endpoint = endpoints.rotate(_inbound(slug, endpoint_id), secret, actor=actor_of(request))
    return {**_inbound_out(endpoint), "secret": endpoint.secret}


# Outbound


@router.get(OUTBOUND, response=_responses(200, model=OutboundList))
def list_outbound(request: HttpRequest, slug: str) -> Any:
    """The shop's URLs that receive the program's events, with their delivery state."""
    found = OutboundEndpoint.objects.filter(program=_program(slug))
    return {"items": [_outbound_out(e) for e in found.order_by("pk")]}


@router.post(OUTBOUND, response=_responses(201, model=OutboundWithSecret))
def create_outbound(request: HttpRequest, slug: str, payload: OutboundIn) -> Status[Any]:
    """Subscribe a URL to the program's events; the URL must be a public address."""
    endpoint = endpoints.create_outbound(
        _program(slug), payload.model_dump(exclude_none=True), actor=actor_of(request)
    )
    return Status(201, {**_outbound_out(endpoint), "secret": endpoint.secret})


@router.get(f"{OUTBOUND}/{{endpoint_id}}", response=_responses(200, model=OutboundOut))
def get_outbound(request: HttpRequest, slug: str, endpoint_id: EndpointId) -> Any:
    return _outbound_out(_outbound(slug, endpoint_id))


@router.patch(f"{OUTBOUND}/{{endpoint_id}}", response=_responses(200, model=OutboundOut))
def patch_outbound(
    request: HttpRequest, slug: str, endpoint_id: EndpointId, payload: OutboundPatch
) -> Any:
    """Change the fields sent; ``is_active: true`` enables a disabled endpoint again."""
    changes = _no_nulls(payload.model_dump(exclude_unset=True))
    endpoint = endpoints.update_outbound(
        _outbound(slug, endpoint_id), changes, actor=actor_of(request)
    )
    return _outbound_out(endpoint)


@router.delete(f"{OUTBOUND}/{{endpoint_id}}", response=_responses(204, model=None))
def delete_outbound(request: HttpRequest, slug: str, endpoint_id: EndpointId) -> Status[None]:
    """Delete the endpoint with its messages and their attempts."""
    endpoints.delete(_outbound(slug, endpoint_id), actor=actor_of(request))
    return Status(204, None)


@router.post(
    f"{OUTBOUND}/{{endpoint_id}}/rotate-secret", response=_responses(200, model=OutboundWithSecret)
)
def rotate_outbound(
    request: HttpRequest, slug: str, endpoint_id: EndpointId, payload: RotateIn | None = None
) -> Any:
    """A new signing secret, returned once; during the grace period Parrain signs with
    both, so the receiver may switch at its own pace."""
    secret = payload.secret if payload is not None else None
    endpoint = endpoints.rotate(_outbound(slug, endpoint_id), secret, actor=actor_of(request))
    return {**_outbound_out(endpoint), "secret": endpoint.secret}


def mount() -> None:
    """Add the router to the core's server API, once (``ready`` may run again in tests)."""
    from parrain.core.api.main import api

    if any(registered is router for _prefix, registered in api._routers):
        return
    api.add_router("", router)
