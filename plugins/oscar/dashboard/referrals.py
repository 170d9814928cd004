"""One referral in the dashboard: who referred whom, its steps, and its whole history
(audit events, orders with their refunds, rewards on both sides)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from parrain.core.models import Order, Program, Referral
from parrain.core.models.choices import ReferralStatus

from .views import ProgramMixin

#: The steps of a referral, in order, with the moment each was reached.
STEPS = ("invited_at", "registered_at", "converted_at", "validated_at", "rewarded_at")


class ReferralDetailView(ProgramMixin, TemplateView):
    template_name = "parrain_oscar/dashboard/referral_detail.html"

    @property
    def referral(self) -> Referral:
        if not hasattr(self, "_referral"):
            orders = Order.objects.prefetch_related("refunds").order_by("placed_at", "pk")
            self._referral = get_object_or_404(
                Referral.objects.select_related(
                    "program", "referrer", "referee", "invitation", "order"
                ).prefetch_related(Prefetch("orders", queryset=orders)),
                pk=self.kwargs["pk"],
            )
            self._program: Program = self._referral.program
        return self._referral

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        referral = self.referral
        context = super().get_context_data(**kwargs)
        orders = list(referral.orders.all())
        if referral.order is not None and referral.order not in orders:
            orders.insert(0, referral.order)
        context.update(
            referral=referral,
            steps=[
                (Referral._meta.get_field(name).verbose_name, getattr(referral, name))
                for name in STEPS
            ],
            events=referral.audit.order_by("at", "pk"),
            orders=orders,
            rewards=referral.rewards.select_related("recipient").order_by("issued_at", "pk"),
            in_review=referral.status == ReferralStatus.REVIEW,
        )
        return context
