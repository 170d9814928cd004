"""Web origins (``scheme://host[:port]``) as the widget's allowed origins compare them.

A browser sends the page's origin in ``Origin``; the program lists the origins allowed to
use its widget. ``localhost`` and ``127.0.0.1`` are one machine but two origins to a
browser: the demo lists both, so the page works whichever of the two the visitor typed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """The origin of an absolute http(s) URL, lower case, default port dropped; else ``""``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    scheme = parts.scheme.lower()
    shown_port = f":{port}" if port and port != DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{shown_port}"


def is_loopback(url: str) -> bool:
    return (urlsplit(origin_of(url)).hostname or "") in (*LOOPBACK_HOSTS, "::1")


def loopback_aliases(url: str) -> list[str]:
    """The URL's origin, and for a loopback host the same port on the other loopback name."""
    origin = origin_of(url)
    if not is_loopback(origin):
        return [origin] if origin else []
    parts = urlsplit(origin)
    port = f":{parts.port}" if parts.port else ""
    aliases = [f"{parts.scheme}://{host}{port}" for host in LOOPBACK_HOSTS]
    return [origin, *(alias for alias in aliases if alias != origin)]


def with_origin(url: str, origin: str) -> str:
    """``url`` moved to ``origin``, path and query kept."""
    parts = urlsplit(url)
    rest = parts.path or "/"
    return f"{origin}{rest}" + (f"?{parts.query}" if parts.query else "")
