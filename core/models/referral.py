from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Channel, ReferralStatus
from .contact import Contact
from .program import Program


class Invitation(models.Model):
    """One invitation sent (or link shared) by a referrer to a referee.

    ``referrer_terms`` freezes the referrer reward in force when the invitation was issued:
    a boosted offer running at that moment keeps applying even if the friend orders later.
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="invitations"
    )
    referrer = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        verbose_name=_("referrer"),
        related_name="invitations_sent",
    )
    referee = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        verbose_name=_("referee"),
        related_name="invitations_received",
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    referrer_terms = models.JSONField(_("referrer reward terms at issue"))
    referee_consent = models.BooleanField(
        _("referee agrees to be recontacted"),
        null=True,
        editable=False,
        help_text=_("A copy of the referee's answer, kept in step by Contact.save()."),
    )
    # The dashboard's distinct counts without DISTINCT (docs/dashboard.md, "Exact distinct
    # counts"): when the same referrer's / referee's previous invitation in this program was
    # issued (None: this is their first). Within any range, exactly one invitation per
    # person has a previous one before the range, so "distinct people" is a plain count.
    # Written on insert (core/invitation_facts.py), never edited.
    prev_referrer_at = models.DateTimeField(null=True, editable=False)
    prev_referee_at = models.DateTimeField(null=True, editable=False)
    # The referee became a customer (one of their referrals reached conversion, even if it
    # was cancelled later for a refund): kept in step by transitions.move.
    referee_converted = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [
            models.Index(
                fields=["program", "issued_at"],
                include=[
                    "referrer",
                    "referee",
                    "referee_consent",
                    "referee_converted",
                    "prev_referrer_at",
                    "prev_referee_at",
                ],
                name="parrain_inv_program_issued",
            ),
            # The top referrers' invitations, index-only.
            models.Index(
                fields=["referrer", "issued_at"],
                include=["program", "referee"],
                name="parrain_inv_referrer_issued",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.referee} ({self.get_channel_display()})"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if not self._state.adding:
            super().save(*args, **kwargs)
            return
        from ..invitation_facts import linked_insert

        linked_insert(self, lambda: super(Invitation, self).save(*args, **kwargs))


class Referral(models.Model):
    """The referee's journey: one live (not cancelled) referral per referee per program.

    ``invited → registered → converted → validated → rewarded``; ``review`` holds a flagged
    referral for the shop owner; ``cancelled`` (with a reason) from any state before reward.
    A cancelled referral is kept as history and no longer holds the referee.
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="referrals"
    )
    referrer = models.ForeignKey(
        Contact, on_delete=models.CASCADE, verbose_name=_("referrer"), related_name="referrals_made"
    )
    referee = models.ForeignKey(
        Contact, on_delete=models.CASCADE, verbose_name=_("referee"), related_name="referrals"
    )
    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.RESTRICT,
        verbose_name=_("invitation"),
        related_name="referrals",
        null=True,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.INVITED
    )
    status_before_review = models.CharField(max_length=12, blank=True)
    review_reason = models.CharField(_("review reason"), max_length=60, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=60, blank=True)
    order = models.ForeignKey(
        "parrain.Order",
        on_delete=models.SET_NULL,
        verbose_name=_("order"),
        null=True,
        blank=True,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    rewarded_at = models.DateTimeField(_("rewarded"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            # Cancelled referrals stay as history; a new referrer may then open one.
            models.UniqueConstraint(
                fields=["program", "referee"],
                condition=~models.Q(status=ReferralStatus.CANCELLED),
                name="parrain_referral_one_live_per_referee",
            )
        ]
        indexes = [
            models.Index(fields=["program", "status", "converted_at"], name="parrain_ref_status"),
            models.Index(
                fields=["program", "converted_at"],
                include=["referee", "status", "referrer"],
                name="parrain_ref_converted",
            ),
            # Referred revenue leaves out orders of cancelled referrals.
            models.Index(
                fields=["program", "id"],
                condition=models.Q(status=ReferralStatus.CANCELLED),
                name="parrain_ref_cancelled",
            ),
            models.Index(
                fields=["program", "validated_at"],
                include=["referrer", "status"],
                name="parrain_ref_validated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.referee}: {self.get_status_display()}"

    @property
    def referrer_terms(self) -> dict:
        return self.invitation.referrer_terms if self.invitation else {}


class ShareClick(models.Model):
    """One visit through a referrer's share link ``/r/<code>``; no IP or user agent is kept."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="share_clicks")
    referrer = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="share_clicks")
    clicked_at = models.DateTimeField(_("clicked"), default=timezone.now)

    class Meta:
        verbose_name = _("share link click")
        verbose_name_plural = _("share link clicks")
        indexes = [models.Index(fields=["referrer", "clicked_at"], name="parrain_click_referrer")]

    def __str__(self) -> str:
        return f"{self.referrer} @ {self.clicked_at:%Y-%m-%d %H:%M}"
