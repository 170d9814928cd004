from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .program import Program

_UNKNOWN = object()  # the consent stored for an instance not loaded from the database


class Contact(models.Model):
    """A person known to one program: customer, referrer, referee, or all three."""

    # No index of its own: the indexes below start with the program (issue 14).
    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        verbose_name=_("program"),
        related_name="contacts",
        db_index=False,
    )
    email = models.EmailField(_("email"), max_length=254)
    email_normalized = models.CharField(max_length=254, editable=False)
    email_canonical = models.CharField(
        max_length=254, editable=False, help_text="Gmail dots and +tags removed, for fraud checks."
    )
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    first_name = models.CharField(_("first name"), max_length=120, blank=True)
    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    # The name friends see (code lookup, invitation emails): only one the referrer gave for
    # sharing (typed at their own enrolment, or carried by the shop's identity token or
    # server API), never a name stored from orders or imports.
    share_name = models.CharField(_("name shown to friends"), max_length=120, blank=True)
    external_id = models.CharField(_("external id"), max_length=120, null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Unique among the contacts that have one (constraint below): most never do.
    referrer_code = models.CharField(_("referrer code"), max_length=32, null=True, blank=True)
    is_customer = models.BooleanField(_("customer"), default=False)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    consent_recontact = models.BooleanField(_("agrees to be recontacted"), null=True, blank=True)
    consent_at = models.DateTimeField(_("consent given or refused at"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=40, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    # SMS needs its own consent (issue 13); a STOP reply sets sms_unsubscribed_at.
    sms_consent = models.BooleanField(_("agrees to receive SMS"), null=True, blank=True)
    sms_consent_at = models.DateTimeField(
        _("SMS consent given or refused at"), null=True, blank=True
    )
    sms_unsubscribed_at = models.DateTimeField(_("unsubscribed from SMS"), null=True, blank=True)
    # Security (issue 10): set when the person proved they own the address (a confirmation
    # link), or when the shop vouched for them (identity token, server API, shop account).
    # Invitations by email from an unverified referrer are held; attribution by email alone
    # never comes from an unverified referrer's invitation.
    email_verified_at = models.DateTimeField(_("email confirmed"), null=True, blank=True)
    # The last email asking this contact to confirm their address (at most one an hour).
    confirmation_sent_at = models.DateTimeField(
        _("confirmation email sent"), null=True, blank=True, editable=False
    )
    # GDPR erasure (services/erasure.py): the row stays as an anonymous tombstone so that the
    # referrals, orders and rewards it takes part in keep counting.
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    # Issue 14: what a customer file brings beside the identity (imports never lower them:
    # tags are merged, the total spent is the shop's figure as of the latest import).
    total_spent = models.DecimalField(
        _("total spent"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # db_default too: rows written by COPY or raw SQL (bulk imports, benches) get [] as well.
    tags = models.JSONField(
        _("tags"), default=list, db_default=models.Value([], models.JSONField()), blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "email_normalized"], name="parrain_contact_unique_email"
            ),
            models.UniqueConstraint(
                fields=["program", "external_id"], name="parrain_contact_unique_external_id"
            ),
            # Partial: the contacts without a code (every imported one) are not in it;
            # codes are only ever looked up by value.
            models.UniqueConstraint(
                fields=["referrer_code"],
                condition=models.Q(referrer_code__isnull=False),
                name="parrain_contact_unique_referrer_code",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "email_canonical"]),
            # Opt-in rate: the referees who answered the consent question, index-only.
            models.Index(
                fields=["program", "id"],
                include=["consent_recontact"],
                condition=models.Q(consent_recontact__isnull=False),
                name="parrain_contact_answered",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        from ..emails import canonical_email, normalize_email
        from .referral import Invitation

        self.email_normalized = normalize_email(self.email)
        self.email_canonical = canonical_email(self.email)
        adding = self._state.adding
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if adding:
            self._saved_consent = self.consent_recontact
            return
        if update_fields is not None and "consent_recontact" not in update_fields:
            return
        if self.consent_recontact != getattr(self, "_saved_consent", _UNKNOWN):
            # The dashboard's opt-in rate reads the consent copied onto the invitations.
            Invitation.objects.filter(referee=self).update(referee_consent=self.consent_recontact)
        self._saved_consent = self.consent_recontact

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        instance = super().from_db(db, field_names, values)
        instance._saved_consent = instance.__dict__.get("consent_recontact")
        return instance

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def display_name(self) -> str:
        """The name the person gave, else ``""``: an email's local part ("jean.dupont42")
        is never used as a name (callers word the absence: "a friend")."""
        return self.first_name
