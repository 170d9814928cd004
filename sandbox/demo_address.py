"""Where the demo is served, as ``make demo ADDRESS=…`` says, turned into its base URL.

``runserver`` takes ``8101``, ``127.0.0.1:8101``, ``localhost:8101``, ``0.0.0.0:8000`` or
``[::1]:8000``; share links, the widget's API origin, the seeded allowed origins and the
Wagtail site must name an address a browser on this machine can open. ``PARRAIN_BASE_URL``
set in the environment wins (a demo behind a tunnel or on a LAN address).

``python -m sandbox.demo_address`` prints the base URL (the Makefile shows it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

DEFAULT_ADDRESS = "127.0.0.1:8000"
# Listening on every interface: a browser on this machine opens the loopback address.
ANY_HOST = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "[::]": "[::1]"}  # nosec B104 # mapped away


def base_url_for(address: str) -> str:
    """``http://host:port`` for a runserver address (``port`` alone means 127.0.0.1)."""
    address = address.strip() or DEFAULT_ADDRESS
    if address.isdigit():
        return f"http://127.0.0.1:{address}"
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or (host.count(":") and not host.startswith("[")):
        host, port = address, "8000"  # a bare host, or a bare IPv6 address
    host = ANY_HOST.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def demo_base_url(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get("PARRAIN_BASE_URL") or base_url_for(
        environ.get("PARRAIN_DEMO_ADDRESS", DEFAULT_ADDRESS)
    )


def demo_host(base_url: str) -> str:
    """The host as ``ALLOWED_HOSTS`` spells it (IPv6 in brackets), ``""`` if none."""
    host = urlsplit(base_url).hostname or ""
    return f"[{host}]" if ":" in host else host


if __name__ == "__main__":
    print(demo_base_url())
