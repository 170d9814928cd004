"""The Oscar offer condition behind every Parrain voucher (a proxy model, no table).

Oscar lets a shop add conditions as proxy models of ``offer.Condition`` named in the
condition's ``proxy_class``. This one is Oscar's value condition (the reward rule's minimum
basket value over all products) plus two checks: the reward belongs to the program this shop
runs (a welcome code of another program, e.g. another brand on the same install, is no
discount here), and the basket belongs to the customer the reward was issued to, so a
welcome code passed around does not discount anyone else's order.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from oscar.apps.offer.models import ValueCondition

from parrain.core.emails import normalize_email
from parrain.core.models import Reward

from .conf import oscar_settings
from .program import is_shop_program, shop_program_slug

PROXY_PATH = "parrain.plugins.oscar.models.RecipientValueCondition"
REFUSED_OTHER_PROGRAM = "other_program"
REFUSED_NOT_RECIPIENT = "not_recipient"


def voucher_of(offer: Any) -> Any:
    """The voucher an offer is applied through (set by Oscar's applicator) or linked to."""
    return offer.get_voucher() or offer.vouchers.first()


def reward_for_code(code: str) -> Reward | None:
    """The reward behind a voucher code, the shop program's own first."""
    rewards = Reward.objects.select_related("recipient", "program").filter(code=code.upper())
    return rewards.filter(program__slug=shop_program_slug()).first() or rewards.first()


def refusal(offer: Any, basket: Any) -> str:
    """Why a Parrain voucher does not apply to this basket: a ``REFUSED_*`` reason, or ""."""
    voucher = voucher_of(offer)
    reward = reward_for_code(voucher.code) if voucher is not None else None
    if reward is None:
        return ""
    if not is_shop_program(reward.program):
        return REFUSED_OTHER_PROGRAM
    if oscar_settings.VOUCHER_FOR_RECIPIENT_ONLY and not is_recipient(reward, basket.owner):
        return REFUSED_NOT_RECIPIENT
    return ""


def is_recipient(reward: Reward, owner: Any) -> bool:
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
        if refusal(offer, basket):
            return False
        return super().is_satisfied(offer, basket)

    def is_partially_satisfied(self, offer: Any, basket: Any) -> bool:
        if refusal(offer, basket):
            return False
        return super().is_partially_satisfied(offer, basket)
