from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .contact import Contact
from .order import Order
from .program import Program


class LoyaltyKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    REVIEW = "review", _("Review")
    BIRTHDAY = "birthday", _("Birthday")
    SOCIAL_FOLLOW = "social_follow", _("Social follow")
    NEWSLETTER_SIGNUP = "newsletter_signup", _("Newsletter signup")
    CUSTOM = "custom", _("Custom action")
    ADJUSTMENT = "adjustment", _("Manual adjustment")
    REWARD = "reward", _("Referral reward")
    REVERSAL = "reversal", _("Reversal")
    IMPORT = "import", _("Imported balance")


class LoyaltyEntry(models.Model):
    """One line of a contact's loyalty points ledger (points earned, spent or taken back).

    Append-only: the application never updates or deletes a line, except when the contact
    is erased (GDPR). A correction is a new line (an adjustment or a reversal).
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="+"
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        verbose_name=_("contact"),
        related_name="loyalty_entries",
    )
    kind = models.CharField(_("action"), max_length=20, choices=LoyaltyKind.choices)
    custom_kind = models.CharField(
        _("custom action name"),
        max_length=60,
        blank=True,
        help_text=_("The shop's own name for a custom action."),
    )
    points = models.IntegerField(_("points"))
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    source = models.CharField(_("source"), max_length=20)
    external_id = models.CharField(_("external id"), max_length=140, null=True, blank=True)
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        verbose_name=_("order"),
        null=True,
        blank=True,
        related_name="loyalty_entries",
    )
    reversal_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        related_name="reversals",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("loyalty entry")
        verbose_name_plural = _("loyalty ledger")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "external_id"],
                condition=Q(external_id__isnull=False),
                name="parrain_loyalty_external_id_once",
            )
        ]
        indexes = [
            models.Index(fields=["contact", "-recorded_at"], name="parrain_loyalty_by_contact"),
            models.Index(fields=["contact", "kind", "occurred_at"], name="parrain_loyalty_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.contact}: {self.points:+d} ({self.kind})"
