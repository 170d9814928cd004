"""Digests of raw import rows, to count a re-imported row unchanged without parsing it.

A row's digest is a keyed hash of its raw value (a file's cells, an API row's JSON object)
whose key covers everything else its parsing and merging depend on: the path, the
mapping and the program's settings the caller names, the source of the modules that parse
and merge rows and the versions of the libraries they call. Change any of them and every
digest differs: rows are parsed again (and their contacts get the new digest).
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

#: The modules whose code decides what a row becomes and whether it changes a contact.
MODULES = (
    "parrain.core.importing.digests",
    "parrain.core.importing.rows",
    "parrain.core.importing.engine",
    "parrain.core.phones",
    "parrain.core.emails",
    "parrain.core.validation_types",
    "parrain.core.services.contacts",
    "parrain.core.services.contact_imports",
)
LIBRARIES = ("django", "phonenumbers", "pydantic", "pydantic-core")
_SEPARATOR = "\x1f"


@cache
def code_fingerprint() -> bytes | None:
    """A hash of :data:`MODULES`' source and :data:`LIBRARIES`' versions; ``None`` when a
    source cannot be read (then nothing is skipped)."""
    digest = hashlib.blake2b(digest_size=32)
    try:
        for name in MODULES:
            path = importlib.import_module(name).__file__
            with open(path, "rb") as source:  # type: ignore[arg-type]
                digest.update(source.read())
        for library in LIBRARIES:
            digest.update(f"{library}={version(library)};".encode())
    except (OSError, TypeError, PackageNotFoundError):
        return None
    return digest.digest()


def digest_key(*parts: Any) -> bytes | None:
    """The key of a kind of row (``parts``: JSON-able values naming the path, the mapping
    and the settings); ``None`` when digests cannot be trusted (see ``code_fingerprint``)."""
    code = code_fingerprint()
    if code is None:
        return None
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode(), digest_size=32, key=code).digest()


def row_digester(key: bytes) -> Callable[[object], bytes]:
    """``digest(raw)``: 16 bytes for a raw row. A list of texts holding no unit separator
    is hashed joined by it; anything else by its ``repr``, which tells a text from a
    number or a date (the two forms are told apart by their first byte)."""
    base = hashlib.blake2b(key=key, digest_size=16)

    def digest(raw: object) -> bytes:
        hasher = base.copy()
        if raw.__class__ is list:
            try:
                joined = _SEPARATOR.join(raw)  # type: ignore[arg-type]
            except TypeError:  # not all texts (an XLSX row's numbers and dates)
                joined = None
            if joined is not None and joined.count(_SEPARATOR) == len(raw) - 1:  # type: ignore[arg-type]
                hasher.update(b"j" + joined.encode("utf-8", "surrogatepass"))
                return hasher.digest()
        hasher.update(b"r" + repr(raw).encode("utf-8", "surrogatepass"))
        return hasher.digest()

    return digest
