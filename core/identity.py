"""Identity tokens: the shop's server vouches for its logged-in customer to the widget.

A token is ``<payload>.<signature>``, both base64url without padding. The payload is JSON
(program public key, email, optional first name and external id, expiry as a Unix time);
the signature is HMAC-SHA256 over the encoded payload with a key derived from the
program's identity secret (``Program.identity_secret``, never a webhook secret), so a token
made for one program is refused by every other one. After a rotation, tokens signed with
the previous identity secret still verify until the grace period ends. The public widget
endpoints accept a referrer's statistics, badges and personal message only with a valid
token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from .emails import normalize_email
from .exceptions import ParrainError
from .models import Program

DEFAULT_TTL = timedelta(hours=12)
_KEY_LABEL = b"parrain.identity.v1"


class InvalidIdentity(ParrainError):
    """The token is malformed, forged, for another program, or expired."""


@dataclass(frozen=True)
class Identity:
    email: str
    first_name: str
    external_id: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(_key(secret), payload.encode("ascii"), hashlib.sha256).digest())


def sign_identity(
    program: Program,
    email: str,
    *,
    first_name: str = "",
    external_id: str = "",
    ttl: timedelta = DEFAULT_TTL,
    now: float | None = None,
) -> str:
    """Token for the customer ``email``, valid ``ttl`` from ``now`` (defaults to the clock)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "p": program.public_key,
        "e": normalize_email(email),
        "n": first_name,
        "x": external_id,
        "exp": issued + int(ttl.total_seconds()),
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{_sign(program.identity_secret, payload)}"


def verify_identity(program: Program, token: str, *, now: float | None = None) -> Identity:
    """The identity the token carries, or :class:`InvalidIdentity`."""
    payload, _, signature = (token or "").partition(".")
    if not payload or not signature or len(token) > 2048 or not token.isascii():
        raise InvalidIdentity("malformed identity token")
    if not any(
        hmac.compare_digest(_sign(secret, payload), signature)
        for secret in program.identity_secrets()
    ):
        raise InvalidIdentity("identity token signature does not match")
    try:
        claims = json.loads(_unb64(payload))
        expires_at = int(claims["exp"])
        email = str(claims["e"])
        program_key = str(claims["p"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidIdentity("malformed identity token") from exc
    if program_key != program.public_key:
        raise InvalidIdentity("identity token is for another program")
    if expires_at <= (time.time() if now is None else now):
        raise InvalidIdentity("identity token has expired")
    return Identity(
        email=email,
        first_name=str(claims.get("n") or ""),
        external_id=str(claims.get("x") or ""),
        expires_at=expires_at,
    )
