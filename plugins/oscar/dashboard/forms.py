from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parrain.core.dashboard import DashboardRangeForm
from parrain.core.models import AuditEvent, Badge, BadgeHolding, Contest
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.contacts import find_contact

#: The dashboard's range picker (30 days by default, at most 366), shared by every page
#: of the Referral section that shows a period.
DateRangeForm = DashboardRangeForm


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + ReferralStatus.choices
    )
    q = forms.CharField(label=_("Email contains"), required=False, max_length=254)


class ContactFilterForm(forms.Form):
    q = forms.CharField(label=_("Email or name contains"), required=False, max_length=254)
    referrers = forms.BooleanField(label=_("Referrers only"), required=False)
    customers = forms.BooleanField(label=_("Customers only"), required=False)


class BadgeHolderForm(forms.Form):
    """Award ``badge`` to a contact, or take it back, by hand: the reason is required (it
    goes to the audit log and to the holding)."""

    AWARD, REVOKE = "award", "revoke"
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(AWARD, _("Award the badge")), (REVOKE, _("Take the badge back"))],
        widget=forms.RadioSelect,
        initial=AWARD,
    )
    email = forms.EmailField(label=_("Contact email"))
    reason = forms.CharField(
        label=_("Reason"),
        # The audit log keeps the reason: no longer than its column.
        max_length=AuditEvent._meta.get_field("reason").max_length,
        help_text=_("Kept in the audit log with your name."),
        error_messages={"required": _("Say why: the reason is kept in the audit log.")},
    )

    def __init__(self, badge: Badge, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.badge = badge

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email"):
            return data
        contact = find_contact(self.badge.program, data["email"])
        if contact is None or contact.is_erased:
            self.add_error("email", _("No contact with this email in this program."))
            return data
        data["contact"] = contact
        held = BadgeHolding.objects.filter(
            badge=self.badge, contact=contact, lost_at__isnull=True
        ).exists()
        if data.get("action") == self.AWARD and held:
            self.add_error("email", _("This contact already holds this badge."))
        elif data.get("action") == self.REVOKE and not held:
            self.add_error("email", _("This contact does not hold this badge."))
        return data


class DrawForm(forms.Form):
    """The public value typed at the draw; ``confirm`` is set by the confirmation step."""

    public_value = forms.CharField(
        label=_("Public value"),
        max_length=Contest._meta.get_field("public_value").max_length,
        strip=True,
        help_text=_(
            "Exactly as published by the source named in the rules (e.g. the drand round's "
            "randomness or the lottery numbers)."
        ),
        error_messages={"required": _("Type the public value published by the source.")},
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RedrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=AuditEvent._meta.get_field("reason").max_length,
        help_text=_("Why the prize goes to someone else, e.g. “not claimed within 30 days”."),
        error_messages={"required": _("Say why: the reason is kept in the audit log.")},
    )
