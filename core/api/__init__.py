"""The HTTP API: ``/api/v1/`` for servers (secret key), ``/api/v1/public/`` for the widget.

Errors are RFC 9457 problem details (``application/problem+json``), see ``problems.py``.
``api`` and ``urls`` load on first use, so ``python -m parrain.core.api.export_openapi`` can
configure Django before Ninja is imported.
"""

from __future__ import annotations

from typing import Any

__all__ = ["api", "public_api", "public_urls", "urls"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import main

        return getattr(main, name)
    raise AttributeError(name)
