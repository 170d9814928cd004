"""The customer's account page: their share link, referrals and rewards."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from parrain.core.emails import normalize_email
from parrain.core.models import Contact, Referral, Reward
from parrain.core.services.enrolment import share_url

from .program import shop_program


class AccountReferralsView(LoginRequiredMixin, TemplateView):
    template_name = "parrain_oscar/account_referrals.html"
    page_title = _("Referrals")
    active_tab = "parrain-referrals"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        program = shop_program()
        contact = None
        if program is not None and self.request.user.email:
            contact = Contact.objects.filter(
                program=program, email_normalized=normalize_email(self.request.user.email)
            ).first()
        context.update(
            page_title=self.page_title,
            active_tab=self.active_tab,
            program=program,
            contact=contact,
            share_url=share_url(contact) if contact and contact.referrer_code else "",
            referrals=(
                Referral.objects.filter(referrer=contact).select_related("referee")
                if contact
                else []
            ),
            rewards=Reward.objects.filter(recipient=contact).order_by("-issued_at")
            if contact
            else [],
        )
        return context
