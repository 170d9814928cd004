"""Secrets stored in the database, encrypted at rest (Fernet, from ``cryptography``).

The key is derived with HKDF-SHA256 from ``SECRET_KEY``. ``PARRAIN_ENCRYPTION_KEYS``
(optional) lists keys of the operator's own, newest first, for rotation: the first
encrypts, every one decrypts (``MultiFernet``), and so do the keys derived from
``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``: a value written before a rotation still
reads. Each configured key is any long random string (a Fernet key does); it goes through
HKDF too. To rotate: put the new key first, run ``manage.py parrain_reencrypt`` (every
stored secret encrypted again with it), then drop the old key.

:class:`EncryptedTextField` is a text column that holds the token and gives the plain value
in Python: code reads and writes ``schedule.password`` as before. A value no key decrypts
(``SECRET_KEY`` changed without keeping the old one) reads as ``""`` and is logged: the
owner types the password again.
"""

from __future__ import annotations

import base64
import logging
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models

logger = logging.getLogger(__name__)

#: HKDF's "info": keys derived here serve this purpose only.
PURPOSE = b"parrain.core.crypto.fields"


def derive_key(material: str | bytes) -> bytes:
    """A Fernet key (urlsafe base64 of 32 bytes) derived from ``material`` with HKDF."""
    raw = material.encode() if isinstance(material, str) else material
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE)
    return base64.urlsafe_b64encode(hkdf.derive(raw))


def key_materials() -> list[str | bytes]:
    """The keys in use, the encrypting one first."""
    own = list(getattr(settings, "PARRAIN_ENCRYPTION_KEYS", None) or [])
    fallbacks = list(getattr(settings, "SECRET_KEY_FALLBACKS", None) or [])
    return [*own, settings.SECRET_KEY, *fallbacks]


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(derive_key(material)) for material in key_materials()])


def _forget(**_kwargs: Any) -> None:
    _fernet.cache_clear()


setting_changed.connect(_forget, dispatch_uid="parrain_crypto_keys")


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The plain value; ``InvalidToken`` when no key in use decrypts it."""
    return _fernet().decrypt(token.encode()).decode()


def seal(data: bytes) -> bytes:
    """``data`` encrypted with the key in use (bytes in, bytes out: a stored answer)."""
    return _fernet().encrypt(data)


def unseal(token: bytes) -> bytes:
    """What :func:`seal` was given; ``InvalidToken`` when no key in use decrypts it."""
    return _fernet().decrypt(token)


def is_encrypted(value: str) -> bool:
    try:
        decrypt(value)
    except (InvalidToken, ValueError):
        return False
    return True


def reencrypt(token: str) -> str:
    """``token`` encrypted again with the first key (``MultiFernet.rotate``)."""
    return _fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database, plain in Python; ``""`` is stored as ``""``.

    Not searchable (every encryption differs): never filter on it."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value:
            return value
        try:
            return decrypt(value)
        except (InvalidToken, ValueError):
            logger.error(
                "%s: a stored value could not be decrypted with the keys in use "
                "(SECRET_KEY or PARRAIN_ENCRYPTION_KEYS changed?); it reads as empty.",
                self.model._meta.label if hasattr(self, "model") else self.name,
            )
            return ""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)
