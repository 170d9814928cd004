from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ..models.choices import RewardKind

if TYPE_CHECKING:
    from ..models import Reward

# Rewards a shop redeems with a code at checkout; the others are fulfilled another way.
CODE_KINDS = {
    RewardKind.FIXED_AMOUNT,
    RewardKind.PERCENTAGE,
    RewardKind.FREE_SHIPPING,
    RewardKind.FREE_PRODUCT,
}


class FulfilmentBackend:
    """Turns an unsaved Reward into a code the shop accepts (or None when no code applies).

    A local backend (codes generated here, a pool, vouchers in the same database) makes
    the code in one step, ``issue_code``, inside the transaction that saves the reward.

    A backend that creates the code in another system over the network sets ``remote``
    and issues in two steps (decision record 0003): ``decide_code`` picks the code without
    any I/O while the referral is locked, the reward is committed ``pending``, then
    ``push`` creates that code in the shop with no transaction or lock held. ``push`` may
    run again for the same reward (a retry, a duplicate task) and must then accept the
    code it created the first time instead of creating a second one.
    """

    remote: ClassVar[bool] = False

    def __init__(self, **options: object) -> None:
        self.options = options

    def issue_code(self, reward: Reward) -> str | None:
        if reward.kind not in CODE_KINDS:
            return None
        return self.new_code(reward)

    def new_code(self, reward: Reward) -> str:
        raise NotImplementedError

    def decide_code(self, reward: Reward) -> str | None:
        """The code a remote backend will create for ``reward``: no network call here."""
        return self.issue_code(reward)

    def push(self, reward: Reward) -> None:
        """Create ``reward.code`` in the shop, idempotently (remote backends only)."""

    def cancel_code(self, reward: Reward) -> None:
        """Make the code unusable in the shop; nothing to do for codes only we know."""
