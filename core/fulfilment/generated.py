from __future__ import annotations

from typing import TYPE_CHECKING

from ..codes import random_code
from ..conf import parrain_settings
from .base import FulfilmentBackend

if TYPE_CHECKING:
    from ..models import Reward


class GeneratedCodeBackend(FulfilmentBackend):
    """Unique single-use codes generated here; uniqueness is enforced by the database."""

    def new_code(self, reward: Reward) -> str:
        from ..models import Reward as RewardModel

        prefix = str(self.options.get("prefix", "PRN"))
        while True:
            code = f"{prefix}-{random_code(parrain_settings.REWARD_CODE_LENGTH)}"
            if not RewardModel.objects.filter(program=reward.program, code=code).exists():
                return code
