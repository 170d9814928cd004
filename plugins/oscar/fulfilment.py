"""Reward codes as real Oscar vouchers (``PARRAIN_FULFILMENT`` backend ``OscarVoucherBackend``).

Each code-type reward gets one single-use voucher backed by its own voucher offer:

| reward kind   | Oscar benefit                              |
| ------------- | ------------------------------------------ |
| percentage    | ``Percentage`` off all products            |
| fixed_amount  | ``Absolute`` amount off the basket         |
| free_shipping | ``Shipping percentage`` of 100 %           |
| free_product  | 100 % off one unit of the product (UPC)    |

The condition is the rule's minimum basket value, for the reward's recipient only
(:class:`~parrain.plugins.oscar.models.RecipientValueCondition`). Cancelling the reward
ends the voucher and suspends its offer.

Only rewards of the shop's program (``PARRAIN_OSCAR["PROGRAM"]``) become vouchers. The
fulfilment setting is one for the whole install, so the rewards of its other programs (another
brand, another shop connected by webhooks) go to ``other_programs_backend``: codes only Parrain
knows, which this shop does not accept.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from oscar.core.loading import get_model

from parrain.core.codes import random_code
from parrain.core.conf import parrain_settings
from parrain.core.exceptions import FulfilmentError
from parrain.core.fulfilment.base import FulfilmentBackend
from parrain.core.fulfilment.generated import GeneratedCodeBackend
from parrain.core.models.choices import RewardKind, Side

from .models import PROXY_PATH
from .program import is_shop_program

if TYPE_CHECKING:
    from parrain.core.models import Reward

Benefit = get_model("offer", "Benefit")
Condition = get_model("offer", "Condition")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Range = get_model("offer", "Range")
Voucher = get_model("voucher", "Voucher")
Product = get_model("catalogue", "Product")

ALL_PRODUCTS_RANGE = "Parrain: all products"
PREFIXES = {Side.REFEREE: "BIENVENUE", Side.REFERRER: "MERCI", Side.PRIZE: "CADEAU"}
NAME_LENGTH = 128  # Voucher.name and ConditionalOffer.name


def all_products_range() -> Any:
    found, _ = Range.objects.get_or_create(
        name=ALL_PRODUCTS_RANGE, defaults={"includes_all_products": True}
    )
    return found


def free_product_range(product_ref: str) -> Any:
    product = Product.objects.filter(upc=product_ref).first()
    if product is None:
        raise FulfilmentError(f"No product with UPC {product_ref!r} for the free product reward.")
    found, created = Range.objects.get_or_create(name=f"Parrain: free {product_ref}"[:128])
    if created:
        found.add_product(product)
    return found


def benefit_for(reward: Reward) -> Any:
    kind, value = reward.kind, reward.value
    if kind == RewardKind.PERCENTAGE:
        return Benefit(type=Benefit.PERCENTAGE, value=value, range=all_products_range())
    if kind == RewardKind.FIXED_AMOUNT:
        return Benefit(type=Benefit.FIXED, value=value, range=all_products_range())
    if kind == RewardKind.FREE_SHIPPING:
        return Benefit(type=Benefit.SHIPPING_PERCENTAGE, value=Decimal("100"))
    product_range = free_product_range(str(reward.terms.get("product_ref", "")))
    return Benefit(
        type=Benefit.PERCENTAGE, value=Decimal("100"), range=product_range, max_affected_items=1
    )


def voucher_name(reward: Reward, code: str) -> str:
    """What the customer reads on the basket and the order: the offer's own words, the code.

    The shop owner's label in the program's language (Oscar names must be unique, hence
    the code), else the reward kind.
    """
    labels = dict(reward.terms.get("labels") or {})
    text = labels.get(reward.program.default_language) or next(iter(labels.values()), "")
    text = str(text or reward.get_kind_display())
    return f"{text[: NAME_LENGTH - len(code) - 3]} · {code}"


class OscarVoucherBackend(FulfilmentBackend):
    """Options: ``prefix`` per side (``{"referee": "BIENVENUE", "referrer": "MERCI"}``)."""

    #: Where the codes of the install's other programs come from (never Oscar vouchers).
    other_programs_backend: type[FulfilmentBackend] = GeneratedCodeBackend

    def new_code(self, reward: Reward) -> str:
        if not is_shop_program(reward.program):
            return self.other_programs_backend().new_code(reward)
        code = self._unique_code(reward)
        starts = reward.issued_at or timezone.now()
        ends = reward.expires_at or starts + timedelta(days=3650)
        benefit = benefit_for(reward)
        benefit.save()
        minimum = Decimal(str(reward.terms.get("minimum_order_amount", "0")))
        condition = Condition.objects.create(
            type=Condition.VALUE,
            value=minimum,
            range=all_products_range(),
            proxy_class=PROXY_PATH,
        )
        label = voucher_name(reward, code)
        offer = ConditionalOffer.objects.create(
            name=label,
            offer_type=ConditionalOffer.VOUCHER,
            condition=condition,
            benefit=benefit,
            max_basket_applications=1,
            description=str(reward.terms.get("labels", {}).get("en", "")),
        )
        voucher = Voucher.objects.create(
            name=label,
            code=code,
            usage=Voucher.SINGLE_USE,
            start_datetime=starts,
            end_datetime=ends,
        )
        voucher.offers.add(offer)
        return code

    def cancel_code(self, reward: Reward) -> None:
        if not reward.code:
            return
        if not is_shop_program(reward.program):
            self.other_programs_backend().cancel_code(reward)
            return
        voucher = Voucher.objects.filter(code=reward.code.upper()).first()
        if voucher is None:
            return
        now = timezone.now()
        voucher.end_datetime = max(now, voucher.start_datetime)
        voucher.save(update_fields=["end_datetime"])
        for offer in voucher.offers.all():
            offer.suspend()

    def _unique_code(self, reward: Reward) -> str:
        from parrain.core.models import Reward as RewardModel

        prefixes = {**PREFIXES, **dict(self.options.get("prefix", {}))}  # type: ignore[arg-type]
        prefix = prefixes.get(reward.side, "PARRAIN")
        while True:
            code = f"{prefix}-{random_code(parrain_settings.REWARD_CODE_LENGTH)}".upper()
            taken = Voucher.objects.filter(code=code).exists()
            if not taken and not RewardModel.objects.filter(code=code).exists():
                return code
