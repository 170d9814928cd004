"""Inbound endpoints and what they received; outbound endpoints, messages and attempts."""

from __future__ import annotations

import base64
import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parrain.core.models import Program
from parrain.core.rotation import in_force


def new_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class RotatingSecret(models.Model):
    """The endpoint's signing secret, and the previous one during the rotation grace period.

    Only ``core.services.secrets.rotate_secret`` moves a secret to ``secret_previous``.
    """

    secret_previous = models.CharField(
        _("previous signing secret"), max_length=200, blank=True, editable=False
    )
    secret_rotated_at = models.DateTimeField(
        _("signing secret rotated"), null=True, blank=True, editable=False
    )

    class Meta:
        abstract = True

    def signing_secrets(self) -> list[str]:
        """The secrets accepted now: the current one first, the previous one in its grace."""
        return in_force(self.secret, self.secret_previous, self.secret_rotated_at)  # type: ignore[attr-defined]


class Source(models.TextChoices):
    GENERIC = "generic", _("Any shop (Standard Webhooks)")
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    SALEOR = "saleor", "Saleor"


class InboundEndpoint(RotatingSecret):
    """Where one platform sends its webhooks for one program: ``webhooks/in/<slug>/<source>/``."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "Standard Webhooks: the whsec_ secret shown here. Shopify: the app's client "
            "secret (or the store's webhook signing key). WooCommerce: the webhook's secret. "
            "Saleor: leave empty to verify the JWS signature with the shop's public keys, or "
            "paste the webhook's legacy secret key."
        ),
    )
    saleor_api_url = models.URLField(
        _("Saleor API URL"),
        blank=True,
        help_text=_("e.g. https://shop.example/graphql/ — its JWKS is fetched from this host."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("inbound webhook endpoint")
        verbose_name_plural = _("inbound webhook endpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "source"], name="parrain_wh_in_one_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.program} · {self.get_source_display()}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.secret and self.source == Source.GENERIC:
            self.secret = new_signing_secret()
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Result(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    IGNORED = "ignored", _("Acknowledged, nothing to do")
    DUPLICATE = "duplicate", _("Duplicate, already handled")
    REFUSED = "refused", _("Refused")


HANDLED = (Result.ACCEPTED, Result.IGNORED)


class InboundDelivery(models.Model):
    """One request received, kept with its result and the reason, secrets removed."""

    endpoint = models.ForeignKey(
        InboundEndpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    delivery_id = models.CharField(_("delivery id"), max_length=200, blank=True)
    # What the signed body says this event is (e.g. Shopify's topic and order id): a replay
    # under a fresh, unsigned delivery id is still recognised as a duplicate.
    event_key = models.CharField(_("event key"), max_length=200, blank=True)
    topic = models.CharField(_("topic"), max_length=120, blank=True)
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(_("body"), blank=True)
    body_truncated = models.BooleanField(_("body truncated"), default=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)
    message = models.TextField(_("details"), blank=True)

    class Meta:
        verbose_name = _("inbound webhook delivery")
        verbose_name_plural = _("inbound webhook deliveries")
        ordering = ["-received_at"]
        constraints = [
            # A delivery id is handled once; refused attempts do not hold it.
            models.UniqueConstraint(
                fields=["endpoint", "delivery_id"],
                condition=Q(result__in=["accepted", "ignored"]) & ~Q(delivery_id=""),
                name="parrain_wh_in_handled_once",
            ),
            models.UniqueConstraint(
                fields=["endpoint", "event_key"],
                condition=Q(result__in=["accepted", "ignored"]) & ~Q(event_key=""),
                name="parrain_wh_in_event_handled_once",
            ),
        ]
        indexes = [models.Index(fields=["endpoint", "received_at"])]

    def __str__(self) -> str:
        return f"{self.topic or '?'} {self.delivery_id} → {self.result}"


def _default_event_types() -> list[str]:
    return []


class OutboundEndpoint(RotatingSecret):
    """A URL of the shop that receives the program's events, signed with its own secret."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True)
    secret = models.CharField(_("signing secret"), max_length=120, default=new_signing_secret)
    event_types = models.JSONField(
        _("event types"),
        default=_default_event_types,
        blank=True,
        help_text=_('Empty means every event; e.g. ["reward.issued", "referral.validated"].'),
    )
    is_active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=200, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("outbound webhook endpoint")
        verbose_name_plural = _("outbound webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, no more attempts")


class OutboundMessage(models.Model):
    """One event for one endpoint; ``msg_id`` is the ``webhook-id`` on every attempt."""

    endpoint = models.ForeignKey(
        OutboundEndpoint, on_delete=models.CASCADE, related_name="messages"
    )
    msg_id = models.CharField(_("message id"), max_length=40, unique=True)
    event_type = models.CharField(_("event type"), max_length=60)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound webhook message")
        verbose_name_plural = _("outbound webhook messages")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"


class OutboundAttempt(models.Model):
    """Every HTTP attempt of a message, with what the receiver answered."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField(_("attempted"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    succeeded = models.BooleanField(_("succeeded"), default=False)

    class Meta:
        verbose_name = _("outbound webhook attempt")
        verbose_name_plural = _("outbound webhook attempts")
        ordering = ["attempted_at"]

    def __str__(self) -> str:
        return f"{self.message.msg_id} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.status_code}"
