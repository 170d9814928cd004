"""The customer's message preferences on their account page: the program's emails, and text
messages (SMS) with the number to send them to."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parrain.core.conf import parrain_settings
from parrain.core.emails import normalize_phone
from parrain.core.models import Contact


class MessagePreferencesForm(forms.Form):
    emails = forms.BooleanField(
        label=_("Email me about the referral program"),
        required=False,
        widget=forms.CheckboxInput({"class": "form-check-input"}),
        help_text=_("Your invitations, codes and rewards, and reminders now and then."),
    )
    sms = forms.BooleanField(
        label=_("Text me (SMS) about the referral program"),
        required=False,
        widget=forms.CheckboxInput({"class": "form-check-input"}),
        help_text=_("At most a few messages a week. Reply STOP to any of them to stop."),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        required=False,
        max_length=32,
        widget=forms.TextInput({"type": "tel", "autocomplete": "tel"}),
        help_text=_("E.g. 06 12 34 56 78, or +32 470 12 34 56 outside France."),
    )

    @classmethod
    def for_contact(cls, contact: Contact, data: Any = None) -> MessagePreferencesForm:
        initial = {
            "emails": contact.unsubscribed_at is None,
            "sms": bool(contact.sms_consent) and contact.sms_unsubscribed_at is None,
            "phone": contact.phone,
        }
        return cls(data, initial=initial)

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw, parrain_settings.PHONE_REGION)
        except ValueError:
            raise forms.ValidationError(
                _(
                    "This is not a valid mobile number. Type it as on your phone, "
                    "e.g. 06 12 34 56 78, or with its country code, e.g. +32 470 12 34 56."
                ),
                code="invalid_phone",
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sms") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Give the mobile number to send the text messages to."))
        return data
