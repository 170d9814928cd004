"""Encrypt every secret stored encrypted (core/crypto.py) again with the current first key.

After putting a new key first in ``PARRAIN_ENCRYPTION_KEYS`` (or changing ``SECRET_KEY``
with the old one kept in ``SECRET_KEY_FALLBACKS``), run this, then drop the old key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from parrain.core.models import ImportSchedule


class Command(BaseCommand):
    help = "Encrypt the stored secrets again with the first encryption key (key rotation)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        stored = ImportSchedule.objects.exclude(password="")  # nosec B106 # "": none stored
        for schedule in stored.iterator():
            if schedule.password:  # "" when no key in use decrypts it: left as it is
                schedule.save(update_fields=["password"])
                count += 1
        self.stdout.write(f"{count} regular import password(s) encrypted again.")
