"""The Oscar offer condition behind every Parrain voucher (a proxy model, no table).

Oscar lets a shop add conditions as proxy models of ``offer.Condition`` named in the
condition's ``proxy_class``. This one is Oscar's value condition (the reward rule's minimum
basket value over all products) plus one check: the basket belongs to the customer the
reward was issued to, so a welcome code passed around does not discount anyone else's order.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from oscar.apps.offer.models import ValueCondition

from parrain.core.emails import normalize_email
from parrain.core.models import Reward

from .conf import oscar_settings

PROXY_PATH = "parrain.plugins.oscar.models.RecipientValueCondition"


def voucher_of(offer: Any) -> Any:
    """The voucher an offer is applied through (set by Oscar's applicator) or linked to."""
    return offer.get_voucher() or offer.vouchers.first()


def reward_for_code(code: str) -> Reward | None:
    return Reward.objects.select_related("recipient").filter(code=code.upper()).first()


def basket_belongs_to_recipient(offer: Any, basket: Any) -> bool:
    if not oscar_settings.VOUCHER_FOR_RECIPIENT_ONLY:
        return True
    voucher = voucher_of(offer)
    reward = reward_for_code(voucher.code) if voucher is not None else None
    if reward is None:
        return True
    owner = basket.owner
    if owner is None or not getattr(owner, "email", ""):
        return False
    return normalize_email(owner.email) == reward.recipient.email_normalized


class RecipientValueCondition(ValueCondition):
    _description = _("Basket of the reward's recipient includes %(amount)s from %(range)s")

    class Meta:
        proxy = True
        verbose_name = _("Referral reward condition")
        verbose_name_plural = _("Referral reward conditions")

    def is_satisfied(self, offer: Any, basket: Any) -> bool:
        if not basket_belongs_to_recipient(offer, basket):
            return False
        return super().is_satisfied(offer, basket)

    def is_partially_satisfied(self, offer: Any, basket: Any) -> bool:
        if not basket_belongs_to_recipient(offer, basket):
            return False
        return super().is_partially_satisfied(offer, basket)
