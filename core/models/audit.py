from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .program import Program


class AuditEvent(models.Model):
    """An append-only record of one decision and why it was taken."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="audit_events"
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=60)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    message = models.TextField(_("message"), blank=True)
    actor = models.CharField(_("actor"), max_length=120, default="system")
    referral = models.ForeignKey(
        "parrain.Referral",
        on_delete=models.SET_NULL,
        verbose_name=_("referral"),
        null=True,
        blank=True,
        related_name="audit",
        db_index=False,  # partial index below
    )
    contact = models.ForeignKey(
        "parrain.Contact",
        on_delete=models.SET_NULL,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        related_name="audit",
    )
    order = models.ForeignKey(
        "parrain.Order",
        on_delete=models.SET_NULL,
        verbose_name=_("order"),
        null=True,
        blank=True,
        related_name="audit",
        db_index=False,  # partial index below
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        # Most entries (every import's) name no referral nor order, and these columns are
        # only looked up by value (an order's or a referral's log, their deletion).
        indexes = [
            models.Index(
                fields=["referral"],
                condition=models.Q(referral__isnull=False),
                name="parrain_audit_referral",
            ),
            models.Index(
                fields=["order"],
                condition=models.Q(order__isnull=False),
                name="parrain_audit_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.reason}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("The audit log is append-only.")
