"""The customer's account page: the offer in force (boosted, with its countdown, while a boost
runs), their share link, referrals, rewards, tickets in the open contests, badges and
points, and which messages they accept (emails; SMS with their number)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from parrain.core.emails import normalize_email
from parrain.core.models import Contact, LoyaltyEntry, Referral, Reward
from parrain.core.models.choices import ConsentSource
from parrain.core.services.badges import contact_badges
from parrain.core.services.contacts import (
    record_sms_consent,
    set_email_unsubscribed,
    set_sms_number,
)
from parrain.core.services.contests import Tickets, contact_contests
from parrain.core.services.enrolment import share_url
from parrain.core.services.offers import describe
from parrain.core.services.pending import pending_rewards, pending_summary

from .forms import MessagePreferencesForm
from .program import shop_program

#: The consent source recorded for what the customer ticks on their account page.
SOURCE = ConsentSource.ACCOUNT
#: Ledger lines shown on the account page (the newest).
LEDGER_LINES = 10


class AccountReferralsView(LoginRequiredMixin, TemplateView):
    template_name = "parrain_oscar/account_referrals.html"
    page_title = _("Referrals")
    active_tab = "parrain-referrals"

    def contact(self) -> Contact | None:
        """The signed-in customer in the shop's program (None without program or contact)."""
        program = shop_program()
        if program is None or not self.request.user.email:
            return None
        return Contact.objects.filter(
            program=program, email_normalized=normalize_email(self.request.user.email)
        ).first()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        program = shop_program()
        contact = self.contact()
        if contact is not None and not contact.is_erased:
            context.setdefault("preferences", MessagePreferencesForm.for_contact(contact))
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
            rewards=self.rewards(contact),
            pending=self.pending(contact),
            contests=self.contests(contact),
            **self.badges_and_points(contact),
        )
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Save the message preferences; an invalid number is refused and nothing stored."""
        contact = self.contact()
        if contact is None or contact.is_erased:
            return HttpResponse(_("You have no referral account yet."), status=404)
        form = MessagePreferencesForm.for_contact(contact, request.POST)
        if not form.is_valid():
            messages.error(request, _("Your preferences were not saved: see below."))
            return self.render_to_response(self.get_context_data(preferences=form), status=400)
        with transaction.atomic():
            save_preferences(contact, form.cleaned_data)
        messages.success(request, _("Your message preferences are saved."))
        return HttpResponseRedirect(
            reverse("parrain_oscar:account-referrals") + "#parrain-messages"
        )

    def rewards(self, contact: Contact | None) -> list[tuple[Reward, str]]:
        """Each reward with what it gives in words ("€10 off"), never a bare "10.00"."""
        if contact is None:
            return []
        language = get_language() or contact.program.default_language
        rewards = Reward.objects.filter(recipient=contact).order_by("-issued_at")
        return [(reward, describe(reward.terms or None, language)) for reward in rewards]

    def pending(self, contact: Contact | None) -> str:
        """One sentence: 1 reward pending, validated on 18/12/2026 if not returned."""
        if contact is None or contact.is_erased:
            return ""
        language = get_language() or contact.program.default_language
        return pending_summary(contact, pending_rewards(contact, language))

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


def save_preferences(contact: Contact, data: dict[str, Any]) -> None:
    """What the customer ticked, through the core's consent services (audited). Ticking
    SMS again lifts an earlier STOP: the person asks for it themselves."""
    fields = MessagePreferencesForm.base_fields
    set_email_unsubscribed(
        contact, not data["emails"], actor="contact", text=str(fields["emails"].label)
    )
    had_sms = bool(contact.sms_consent) and contact.sms_unsubscribed_at is None
    sms_text = str(fields["sms"].label)
    if data["sms"]:
        set_sms_number(contact, data["phone"], actor="contact")
        record_sms_consent(contact, True, SOURCE, resubscribe=True, text=sms_text)
    elif had_sms:
        record_sms_consent(contact, False, SOURCE, text=sms_text)
