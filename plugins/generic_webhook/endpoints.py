"""Creating, changing, deleting and rotating webhook endpoints: the one door.

The management API (``api.py``) and the Django admin (``admin.py``) save inbound and
outbound endpoints through these functions; each checks what the admin forms check (a
Standard Webhooks secret where one is needed, never the program's identity secret, an
outbound URL through the SSRF guard, known event types), writes one audit entry naming its
actor, and stores nothing on refusal.
Rotation goes through the core's ``rotate_secret``: the previous secret stays accepted
during the grace period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from parrain.core import audit
from parrain.core.exceptions import InvalidInput, ParrainError
from parrain.core.models import Program
from parrain.core.services.secrets import rotate_secret

from .http_client import UnsafeTarget, check_target
from .models import InboundEndpoint, OutboundEndpoint, Source, new_signing_secret
from .outbound import delivery
from .outbound.events import EVENT_TYPES
from .signing import InvalidSecret, secret_key

Endpoint = TypeVar("Endpoint", InboundEndpoint, OutboundEndpoint)
#: Platforms whose secret is made by the platform and pasted into Parrain.
PLATFORM_SECRET = (Source.SHOPIFY, Source.WOOCOMMERCE)


class EndpointTaken(ParrainError):
    status = 409
    code = "endpoint-exists"


# -- checks --------------------------------------------------------------------------------


def check_secret(program: Program, secret: str, *, whsec: bool) -> None:
    """A secret of its own (not the identity secret), a ``whsec_`` key where one is needed."""
    if secret in (program.identity_secret, program.identity_secret_previous):
        raise InvalidInput(
            _("This is the program's identity secret: a webhook needs its own secret."),
            field="secret",
        )
    if whsec:
        try:
            secret_key(secret)
        except InvalidSecret as exc:
            raise InvalidInput(
                _("A Standard Webhooks secret is whsec_ followed by a base64 key."),
                field="secret",
            ) from exc


def check_url(url: str) -> None:
    """An outbound URL: http(s) to a public address (the SSRF guard's check)."""
    try:
        check_target(url)
    except UnsafeTarget as exc:
        raise InvalidInput(str(exc), field="url") from exc


def check_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            _("Unknown event type: %(names)s.") % {"names": ", ".join(unknown)},
            field="event_types",
        )
    return chosen


def _check_saleor_url(url: str) -> None:
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as exc:
        raise InvalidInput(_("Enter the shop's GraphQL API URL."), field="saleor_api_url") from exc


def check_inbound(program: Program, endpoint: InboundEndpoint) -> None:
    """What an inbound endpoint needs: its secret or, for Saleor, its API URL."""
    if endpoint.secret:
        check_secret(program, endpoint.secret, whsec=endpoint.source == Source.GENERIC)
    elif endpoint.source in PLATFORM_SECRET:
        raise InvalidInput(
            _("Paste the secret %(platform)s signs its webhooks with.")
            % {"platform": endpoint.get_source_display()},
            field="secret",
        )
    if endpoint.saleor_api_url:
        _check_saleor_url(endpoint.saleor_api_url)
    elif endpoint.source == Source.SALEOR and not endpoint.secret:
        raise InvalidInput(
            _("Give the Saleor API URL (to verify its signatures) or the webhook's secret key."),
            field="saleor_api_url",
        )


# -- inbound -------------------------------------------------------------------------------


def create_inbound(program: Program, data: Mapping[str, Any], *, actor: str) -> InboundEndpoint:
    """A new inbound endpoint; a generic one without a secret gets a new ``whsec_``."""
    endpoint = InboundEndpoint(program=program, **data)
    if not endpoint.secret and endpoint.source == Source.GENERIC:
        endpoint.secret = new_signing_secret()
    check_inbound(program, endpoint)
    try:
        with transaction.atomic():
            endpoint.save()
            _audit(endpoint, "created", actor, source=endpoint.source)
    except IntegrityError as exc:
        raise EndpointTaken(
            _("This program already has an inbound endpoint for %(source)s.")
            % {"source": endpoint.get_source_display()},
            field="source",
        ) from exc
    return endpoint


def update_inbound(
    endpoint: InboundEndpoint, changes: Mapping[str, Any], *, actor: str
) -> InboundEndpoint:
    """Change ``saleor_api_url`` or ``is_active`` (the secret rotates, the source stays)."""
    changed = _apply(endpoint, changes)
    check_inbound(endpoint.program, endpoint)
    return _save(endpoint, changed, actor)


# -- outbound ------------------------------------------------------------------------------


def create_outbound(program: Program, data: Mapping[str, Any], *, actor: str) -> OutboundEndpoint:
    """A new outbound endpoint, signed with the secret given or a new ``whsec_``."""
    fields = dict(data)
    fields["secret"] = fields.get("secret") or new_signing_secret()
    fields["event_types"] = check_event_types(fields.get("event_types", []))
    check_url(fields["url"])
    check_secret(program, fields["secret"], whsec=True)
    endpoint = OutboundEndpoint(program=program, **fields)
    with transaction.atomic():
        endpoint.save()
        _audit(endpoint, "created", actor, url=endpoint.url)
    return endpoint


def update_outbound(
    endpoint: OutboundEndpoint, changes: Mapping[str, Any], *, actor: str
) -> OutboundEndpoint:
    """Change the URL, description, events or ``is_active``; turning a disabled endpoint
    on again clears its failure state, and its pending messages are sent."""
    changes = dict(changes)
    if "url" in changes:
        check_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = check_event_types(changes["event_types"])
    enable = changes.get("is_active") is True and (
        not endpoint.is_active or endpoint.failing_since is not None
    )
    changed = _apply(endpoint, changes)
    endpoint = _save(endpoint, changed, actor)
    if enable:
        delivery.enable(endpoint)
        endpoint.refresh_from_db()
    return endpoint


# -- both ----------------------------------------------------------------------------------


def rotate(endpoint: Endpoint, new_secret: str | None, *, actor: str) -> Endpoint:
    """Make a new secret current (the given one, or a new ``whsec_`` where Parrain makes
    them); the previous one stays accepted during the grace period."""
    program = endpoint.program
    platform = isinstance(endpoint, InboundEndpoint) and endpoint.source != Source.GENERIC
    if not new_secret and platform and endpoint.source in PLATFORM_SECRET:
        raise InvalidInput(
            _("Paste the new secret %(platform)s signs its webhooks with.")
            % {"platform": endpoint.get_source_display()},
            field="secret",
        )
    secret = new_secret or new_signing_secret()
    check_secret(program, secret, whsec=not platform)
    if secret == endpoint.secret:
        raise InvalidInput(_("This is the current secret already."), field="secret")
    return rotate_secret(program, endpoint, "secret", secret, actor=actor)


def delete(endpoint: InboundEndpoint | OutboundEndpoint, *, actor: str) -> None:
    """Delete an endpoint (with its deliveries or messages and their attempts)."""
    with transaction.atomic():
        _audit(endpoint, "deleted", actor)
        endpoint.delete()


def _apply(endpoint: Any, changes: Mapping[str, Any]) -> list[str]:
    changed = [name for name, value in changes.items() if getattr(endpoint, name) != value]
    for name in changed:
        setattr(endpoint, name, changes[name])
    return changed


def _save(endpoint: Endpoint, changed: list[str], actor: str) -> Endpoint:
    if changed:
        with transaction.atomic():
            endpoint.save(update_fields=changed)
            _audit(endpoint, "changed", actor, fields=sorted(changed))
    return endpoint


def _audit(
    endpoint: InboundEndpoint | OutboundEndpoint, what: str, actor: str, **data: Any
) -> None:
    kind = "inbound" if isinstance(endpoint, InboundEndpoint) else "outbound"
    audit.record(
        endpoint.program,
        f"webhook_endpoint.{what}",
        actor=actor,
        endpoint=f"{kind} {endpoint.pk}",
        **data,
    )
