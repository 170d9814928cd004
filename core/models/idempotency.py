from __future__ import annotations

from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """A POST of the server API sent with an ``Idempotency-Key``, and the answer it got.

    ``scope`` is a hash of the caller's credential (never the credential itself), so two
    callers may use the same key; ``fingerprint`` hashes method, path and body. ``status``
    is empty while the first request runs. Kept ``core.idempotency.LIFETIME``. An answer
    that hands out a secret (``Cache-Control: no-store``) is kept ``sealed``: its body is
    encrypted at rest (core/crypto.py), so the table never holds a clear key.
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    location = models.CharField(max_length=500, blank=True)
    sealed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="parrain_idempotency_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="parrain_idempotency_age")]

    def __str__(self) -> str:
        return f"{self.key} → {self.status or '…'}"
