"""Invitations an unconfirmed referrer asked for, and the per-program daily budget of them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .contact import Contact
from .program import Program


class HeldInvitation(models.Model):
    """A friend's address waiting for the referrer to confirm their own (no mail, no referral).

    Deleted when released through ``invite_by_email`` or when it expires unconfirmed.
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="+"
    )
    referrer = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        verbose_name=_("referrer"),
        related_name="held_invitations",
    )
    email = models.EmailField(_("friend's email"), max_length=254)
    email_normalized = models.CharField(max_length=254, editable=False)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)

    class Meta:
        verbose_name = _("held invitation")
        verbose_name_plural = _("held invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["referrer", "email_normalized"], name="parrain_held_unique_friend"
            )
        ]
        indexes = [models.Index(fields=["program", "requested_at"], name="parrain_held_requested")]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.email}"


class AnonymousInvitationDay(models.Model):
    """How many invitation emails from once-anonymous referrers left a program on one day."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="+"
    )
    day = models.DateField(_("day"))
    sent = models.PositiveIntegerField(_("sent"), default=0)
    managers_told_at = models.DateTimeField(_("managers told"), null=True, blank=True)

    class Meta:
        verbose_name = _("anonymous invitation budget day")
        verbose_name_plural = _("anonymous invitation budget days")
        constraints = [
            models.UniqueConstraint(fields=["program", "day"], name="parrain_anon_budget_day")
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.day}: {self.sent}"
