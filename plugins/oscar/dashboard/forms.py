from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parrain.core.models import Program, RewardRule
from parrain.core.models.choices import ReferralStatus

DEFAULT_DAYS = 30
MAX_DAYS = 366


class DateRangeForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose a range of at most one year."))
        data["start"], data["end"] = start, end
        return data


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + ReferralStatus.choices
    )
    q = forms.CharField(label=_("Email contains"), required=False, max_length=254)


class ContactFilterForm(forms.Form):
    q = forms.CharField(label=_("Email or name contains"), required=False, max_length=254)
    referrers = forms.BooleanField(label=_("Referrers only"), required=False)
    customers = forms.BooleanField(label=_("Customers only"), required=False)


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "name",
            "is_active",
            "landing_url",
            "attribution_window_days",
            "validation_delay_days",
            "fraud_self_referral",
            "fraud_existing_customer",
            "fraud_already_referred",
            "fraud_disposable_email",
            "daily_invitation_cap",
            "monthly_reward_cap",
        ]


RewardRuleFormSet = forms.inlineformset_factory(
    Program,
    RewardRule,
    fields=[
        "side",
        "kind",
        "value",
        "minimum_order_amount",
        "validity_days",
        "product_ref",
        "is_active",
    ],
    extra=1,
    can_delete=False,
)
