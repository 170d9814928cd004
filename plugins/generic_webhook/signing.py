"""Standard Webhooks signatures: HMAC-SHA256 over ``{id}.{timestamp}.{body}``.

The secret is ``whsec_`` followed by the base64 key; the header holds one or more
space-separated ``v1,<base64 signature>`` so a receiver can rotate keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

PREFIX = "whsec_"


class InvalidSecret(ValueError):
    pass


def secret_key(secret: str) -> bytes:
    key = secret.removeprefix(PREFIX).strip()
    try:
        return base64.b64decode(key + "=" * (-len(key) % 4), validate=True)
    except binascii.Error as exc:
        raise InvalidSecret("a whsec_ secret holds a base64 key") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_matches(secret: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True when any ``v1`` signature in ``header`` is ours (constant-time comparison)."""
    expected = sign(secret, msg_id, timestamp, body).encode()
    candidates = [part for part in header.split(" ") if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, part.encode()) for part in candidates)


def hmac_base64(secret: str, body: bytes) -> str:
    """Shopify and WooCommerce: base64 HMAC-SHA256 of the raw body with the shared secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
