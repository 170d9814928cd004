"""Standard Webhooks signatures: HMAC-SHA256 over ``{id}.{timestamp}.{body}``.

The secret is ``whsec_`` followed by the base64 key; the header holds one or more
space-separated ``v1,<base64 signature>`` so keys can rotate: during an endpoint's grace
period Parrain signs with both its secrets, and accepts a signature by either.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

PREFIX = "whsec_"


class InvalidSecret(ValueError):
    pass


def secret_key(secret: str) -> bytes:
    """The key of a ``whsec_`` secret: standard base64 (the Standard Webhooks form, which the
    reference libraries load), or the URL-safe form without padding that programs made
    before 2026-12 held, still accepted so their endpoints keep working."""
    key = secret.removeprefix(PREFIX).strip()
    padded = key + "=" * (-len(key) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except binascii.Error:
        pass
    try:
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise InvalidSecret("a whsec_ secret holds a base64 key") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign_all(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one ``v1`` signature per secret, space-separated."""
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def signature_matches(
    secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes, header: str
) -> bool:
    """True when any ``v1`` signature in ``header`` is made with one of ``secrets``."""
    candidates = [part.encode() for part in header.split(" ") if part.startswith("v1,")]
    expected = [sign(secret, msg_id, timestamp, body).encode() for secret in secrets]
    return any(hmac.compare_digest(mine, theirs) for mine in expected for theirs in candidates)


def hmac_base64(secret: str, body: bytes) -> str:
    """Shopify and WooCommerce: base64 HMAC-SHA256 of the raw body with the shared secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hmac_base64_matches(secrets: Sequence[str], body: bytes, signature: str) -> bool:
    """Shopify and WooCommerce: the header is the base64 HMAC made with one of ``secrets``."""
    theirs = signature.strip().encode()
    return any(hmac.compare_digest(hmac_base64(s, body).encode(), theirs) for s in secrets)


def hmac_hex_matches(secrets: Sequence[str], body: bytes, signature: str) -> bool:
    """Saleor's legacy secret key: the hex HMAC-SHA256 of the body with one of ``secrets``."""
    theirs = signature.strip().encode()
    return any(
        hmac.compare_digest(hmac.new(s.encode(), body, hashlib.sha256).hexdigest().encode(), theirs)
        for s in secrets
    )
