"""The customer's account page: the offer in force (boosted, with its countdown, while a boost
runs), their share link, referrals, rewards, tickets in the open contests, badges and
points."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from parrain.core.emails import normalize_email
from parrain.core.models import Contact, LoyaltyEntry, Referral, Reward
from parrain.core.services.badges import contact_badges
from parrain.core.services.contests import Tickets, contact_contests
from parrain.core.services.enrolment import share_url

from .program import shop_program

#: Ledger lines shown on the account page (the newest).
LEDGER_LINES = 10


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
            contests=self.contests(contact),
            **self.badges_and_points(contact),
        )
        return context

    def contests(self, contact: Contact | None) -> list[Tickets]:
        """The contact's tickets in the program's open (or just drawn) contests."""
        if contact is None or contact.is_erased:
            return []
        return contact_contests(contact)

    def badges_and_points(self, contact: Contact | None) -> dict[str, Any]:
        """The current badge, the progress towards the next, every badge earned or locked,
        the points balance and the ledger's last lines."""
        if contact is None:
            return {"badges": None, "ledger": []}
        ledger = LoyaltyEntry.objects.filter(contact=contact).order_by("-occurred_at", "-pk")
        return {
            "badges": contact_badges(contact, get_language() or contact.program.default_language),
            "ledger": ledger[:LEDGER_LINES],
        }
