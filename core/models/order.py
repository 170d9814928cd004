from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .contact import Contact
from .program import Program


class Order(models.Model):
    """Every order of the shop, referred or not: the referral rate needs total revenue."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="orders"
    )
    external_id = models.CharField(_("external id"), max_length=120)
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        related_name="orders",
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    welcome_code = models.CharField(_("welcome code used"), max_length=64, blank=True)
    referral_code = models.CharField(_("referral code carried"), max_length=32, blank=True)
    referral = models.ForeignKey(
        "parrain.Referral",
        on_delete=models.SET_NULL,
        verbose_name=_("referral"),
        null=True,
        blank=True,
        related_name="orders",
        help_text=_("Set when this order converted a referral."),
    )
    # The share channel of the invitation behind ``referral`` (None: no invitation), copied
    # when the order is attributed (services.orders) so that the dashboard's revenue per
    # channel reads the range's orders alone, without joining every referral.
    channel = models.CharField(max_length=12, null=True, editable=False)
    refunded_amount = models.DecimalField(
        _("refunded amount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # An order accepted at once and attributed later by a worker (``orders.accept_order``,
    # ``Prefer: respond-async``): what ``OrderData`` carries that the row has no column for
    # (email, customer_external_id, first_name, referral_click). Not null = attribution
    # pending; cleared when the drainer attributes it (``orders.attribute_accepted``).
    intake = models.JSONField(null=True, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "external_id"], name="parrain_order_unique_external_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["program", "placed_at"],
                include=["amount", "refunded_amount", "referral", "channel"],
                name="parrain_order_placed_net",
            ),
            # The drainer's queue: a program's pending orders in id order.
            models.Index(
                fields=["program", "id"],
                condition=models.Q(intake__isnull=False),
                name="parrain_order_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.amount} {self.currency})"

    @property
    def is_pending(self) -> bool:
        """Accepted, its attribution not done yet (``orders.attribute_accepted``)."""
        return self.intake is not None

    @property
    def is_refunded(self) -> bool:
        return self.refunded_at is not None


class Refund(models.Model):
    """One refund of an order, idempotent on the shop's refund id."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, verbose_name=_("order"), related_name="refunds"
    )
    external_id = models.CharField(_("external id"), max_length=120)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    refunded_at = models.DateTimeField(_("refunded"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(fields=["order", "external_id"], name="parrain_refund_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order.external_id}/{self.external_id}: {self.amount}"
