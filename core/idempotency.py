"""``Idempotency-Key`` on the server API's POSTs (IETF httpapi idempotency-key draft).

A client that retries a POST (a timeout, a dropped connection) sends the same key: the
first request runs, a retry with the same key and the same body gets the first answer again
(status, body, ``Location``; with ``Idempotent-Replayed: true``), without running anything
twice. The same key with another body is refused (422 ``idempotency-key-reused``); a retry
while the first request still runs gets 409 ``idempotency-key-in-use`` with ``Retry-After``.
Keys belong to the credential that sent them (a hash of the ``Authorization`` header) and
are kept 24 hours. Answers 5xx and 401 are not kept: the retry runs again. Requests without the
header are untouched.

An answer that hands out a secret (a new key, a rotated webhook secret: sent with
``Cache-Control: no-store``) is kept too, encrypted at rest (``crypto.seal``): a retried
creation gets the same key again instead of making a second one the caller never saw. Only
the credential that sent the request can replay it (the scope above), which is who got
the secret the first time. If no key in use decrypts it any more (``SECRET_KEY`` replaced
without a fallback), the retry runs again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from cryptography.fernet import InvalidToken
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from . import crypto
from .api.problems import problem
from .models.idempotency import IdempotentRequest

HEADER = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
#: Visible ASCII, 1 to 255 characters (a UUID is the usual choice); also in the schema.
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(KEY_PATTERN)


def idempotent(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        credential = request.headers.get("Authorization", "")
        if request.method != "POST" or key is None or not credential:
            return view(request, *args, **kwargs)
        if not _KEY.match(key):
            return problem(
                400,
                "invalid-idempotency-key",
                _("The Idempotency-Key header holds 1 to 255 visible ASCII characters."),
                errors=[(HEADER, _("Use for example a UUID."))],
            )
        scope = hashlib.sha256(credential.encode("latin-1", "replace")).hexdigest()
        fingerprint = _fingerprint(request)
        claimed, earlier = _claim(scope, key, fingerprint)
        if not claimed:
            replay = _answer_again(earlier, fingerprint, request)
            if replay is not None:
                return replay
            IdempotentRequest.objects.filter(pk=earlier.pk).delete()  # unreadable: run again
            claimed, earlier = _claim(scope, key, fingerprint)
            if not claimed:  # a concurrent retry claimed it meanwhile
                return _answer_again(earlier, fingerprint, request) or _in_use()
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            IdempotentRequest.objects.filter(pk=earlier.pk).delete()
            raise
        _remember(earlier, response)
        return response

    return wrapped


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _claim(scope: str, key: str, fingerprint: str) -> tuple[bool, IdempotentRequest]:
    """Insert the key (True, the new row), or return the row that holds it (False, row)."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row = IdempotentRequest.objects.create(
                    scope=scope, key=key, fingerprint=fingerprint, created_at=now
                )
            return True, row
        except IntegrityError:
            earlier = IdempotentRequest.objects.filter(scope=scope, key=key).first()
            if earlier is None:  # answered with a 5xx and forgotten meanwhile: run it
                continue
            if now - earlier.created_at < LIFETIME:
                return False, earlier
            IdempotentRequest.objects.filter(pk=earlier.pk).delete()  # expired: reuse
    raise RuntimeError("Idempotency-Key row kept reappearing")  # pragma: no cover


def _in_use() -> HttpResponseBase:
    response = problem(
        409,
        "idempotency-key-in-use",
        _("A request with this Idempotency-Key is still running; retry in a moment."),
    )
    response["Retry-After"] = "1"
    return response


def _answer_again(
    earlier: IdempotentRequest, fingerprint: str, request: HttpRequest
) -> HttpResponseBase | None:
    """The first answer again, a refusal, or None for a sealed answer no key decrypts."""
    if earlier.fingerprint != fingerprint:
        return problem(
            422,
            "idempotency-key-reused",
            _("This Idempotency-Key was already used for another request."),
            errors=[(HEADER, _("Use a new key for a new request."))],
        )
    if earlier.status is None:
        return _in_use()
    body = bytes(earlier.body)
    if earlier.sealed:
        try:
            body = crypto.unseal(body)
        except InvalidToken:
            return None
    response = HttpResponse(body, status=earlier.status, content_type=earlier.content_type or None)
    if earlier.sealed:
        response["Cache-Control"] = "no-store"
    if earlier.location:
        response["Location"] = earlier.location
    if earlier.status == 202 and "respond-async" in request.headers.get("Prefer", "").lower():
        response["Preference-Applied"] = "respond-async"  # an order accepted the first time
    response["Idempotent-Replayed"] = "true"
    return response


def _remember(row: IdempotentRequest, response: HttpResponseBase) -> None:
    if response.status_code >= 500 or response.status_code == 401 or response.streaming:
        IdempotentRequest.objects.filter(pk=row.pk).delete()
        return
    body: bytes = response.content  # type: ignore[attr-defined]
    sealed = "no-store" in response.get("Cache-Control", "")  # a clear secret: encrypted
    IdempotentRequest.objects.filter(pk=row.pk).update(
        status=response.status_code,
        content_type=response.get("Content-Type", "")[:100],
        body=crypto.seal(body) if sealed else body,
        sealed=sealed,
        location=response.get("Location", "")[:500],
    )


def forget_expired(now: Any = None) -> int:
    """Delete the keys past their lifetime (daily, from the validation sweep's beat)."""
    limit = (now or timezone.now()) - LIFETIME
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=limit).delete()
    return deleted
