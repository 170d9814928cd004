from __future__ import annotations

from typing import TYPE_CHECKING

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
    """Turns an unsaved Reward into a code the shop accepts (or None when no code applies)."""

    def __init__(self, **options: object) -> None:
        self.options = options

    def issue_code(self, reward: Reward) -> str | None:
        if reward.kind not in CODE_KINDS:
            return None
        return self.new_code(reward)

    def new_code(self, reward: Reward) -> str:
        raise NotImplementedError

    def cancel_code(self, reward: Reward) -> None:
        """Make the code unusable in the shop; nothing to do for codes only we know."""
