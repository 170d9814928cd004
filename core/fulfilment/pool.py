from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from ..exceptions import FulfilmentError
from ..models import PoolCode, Program
from .base import FulfilmentBackend

if TYPE_CHECKING:
    from ..models import Reward


class CodePoolBackend(FulfilmentBackend):
    """Hands out codes the shop created itself and imported from a CSV file."""

    def new_code(self, reward: Reward) -> str:
        with transaction.atomic():
            entry = (
                PoolCode.objects.filter(program=reward.program, side=reward.side, used_at=None)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .first()
            )
            if entry is None:
                raise FulfilmentError()
            entry.used_at = timezone.now()
            entry.save(update_fields=["used_at"])
        return entry.code


def import_pool(program: Program, side: str, csv_text: str) -> tuple[int, int]:
    """Import codes from the first column of a CSV; returns (added, already there)."""
    codes = {row[0].strip() for row in csv.reader(io.StringIO(csv_text)) if row and row[0].strip()}
    codes.discard("code")
    existing = set(
        PoolCode.objects.filter(program=program, code__in=codes).values_list("code", flat=True)
    )
    new = [PoolCode(program=program, side=side, code=c) for c in sorted(codes - existing)]
    PoolCode.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new), len(existing)
