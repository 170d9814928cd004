from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import RewardKind, RewardStatus, Side
from .contact import Contact
from .program import Program


class Reward(models.Model):
    """A reward issued to one side of a referral; at most one per referral and side."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="rewards"
    )
    recipient = models.ForeignKey(
        Contact, on_delete=models.CASCADE, verbose_name=_("recipient"), related_name="rewards"
    )
    referral = models.ForeignKey(
        "parrain.Referral",
        on_delete=models.CASCADE,
        verbose_name=_("referral"),
        related_name="rewards",
        null=True,
        blank=True,
    )
    # A contest prize (side ``prize``) has no referral: it is fulfilled once per winner.
    prize_winner = models.OneToOneField(
        "parrain.ContestWinner",
        on_delete=models.RESTRICT,
        verbose_name=_("contest winner"),
        related_name="reward",
        null=True,
        blank=True,
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    kind = models.CharField(_("type"), max_length=20, choices=RewardKind.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    terms = models.JSONField(_("terms"), default=dict)
    code = models.CharField(_("code"), max_length=64, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RewardStatus.choices, default=RewardStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    redeemed_at = models.DateTimeField(_("redeemed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "side"], name="parrain_reward_once_per_side"
            ),
            models.UniqueConstraint(fields=["program", "code"], name="parrain_reward_unique_code"),
        ]
        indexes = [models.Index(fields=["recipient", "side", "issued_at"])]

    def __str__(self) -> str:
        return f"{self.get_side_display()} → {self.recipient}: {self.code or self.kind}"


class PoolCode(models.Model):
    """A code imported from the shop (CSV) that the pool backend hands out once."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="pool_codes"
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    code = models.CharField(_("code"), max_length=64)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("pooled code")
        verbose_name_plural = _("pooled codes")
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="parrain_poolcode_unique")
        ]
        indexes = [models.Index(fields=["program", "side", "used_at"])]

    def __str__(self) -> str:
        return self.code
