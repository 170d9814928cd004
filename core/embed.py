"""The HTML that puts a widget on a page: one script tag, one placeholder per widget.

This is the contract between the server side (template tag, Wagtail block, Oscar pages)
and ``widget_js/``::

    <script async src="…/static/parrain/widget.js" data-parrain-key="pk_…"
            data-parrain-api="https://shop.example"></script>
    <div data-parrain-widget="referrer" data-parrain-key="pk_…"
         data-parrain-identity="…" data-parrain-title="…" data-parrain-colour="#…"></div>

``data-parrain-api`` is the origin serving the public API (``PARRAIN_BASE_URL``); the
placeholder's optional attributes are the identity token of a logged-in customer (the
``loyalty`` kind shows nothing personal without one), a title and a brand colour overriding
the program's. The script tag is written once per request however many widgets the page
holds.
"""

from __future__ import annotations

import re
from typing import Any

from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .conf import parrain_settings
from .models import Program

KINDS = ("referrer", "referee", "loyalty")
COLOUR_PATTERN = r"^#(?:[0-9a-fA-F]{3}){1,2}$"  # what widget blocks and forms accept
_COLOUR = re.compile(COLOUR_PATTERN)
_SCRIPT_DONE = "_parrain_widget_script"


def widget_script(program: Program, *, api: str = "", absolute: bool = False) -> SafeString:
    """The script tag; ``api`` replaces ``PARRAIN_BASE_URL`` (the admins' previews), and
    ``absolute`` writes the script's full URL (a snippet pasted on another site)."""
    api = (api or parrain_settings.BASE_URL).rstrip("/")
    src = static("parrain/widget.js")
    if absolute and src.startswith("/") and not src.startswith("//"):
        src = api + src
    return format_html(
        '<script async src="{}" data-parrain-key="{}" data-parrain-api="{}"></script>',
        src,
        program.public_key,
        api,
    )


def widget_placeholder(
    program: Program,
    kind: str,
    *,
    identity: str = "",
    title: str = "",
    colour: str = "",
    language: str = "",
) -> SafeString:
    """The placeholder; ``language`` sets its ``lang``, which the widget follows."""
    if kind not in KINDS:
        raise ValueError(f"widget kind must be one of {KINDS}, not {kind!r}")
    attrs: list[tuple[str, Any]] = [
        ("data-parrain-widget", kind),
        ("data-parrain-key", program.public_key),
    ]
    if identity:
        attrs.append(("data-parrain-identity", identity))
    if title:
        attrs.append(("data-parrain-title", title))
    if colour and _COLOUR.match(colour):
        attrs.append(("data-parrain-colour", colour))
    if language:
        attrs.append(("lang", language))
    return format_html(
        "<div {}></div>", format_html_join(" ", '{}="{}"', ((n, v) for n, v in attrs))
    )


def render_widget(
    program: Program,
    kind: str,
    *,
    request: Any = None,
    identity: str = "",
    title: str = "",
    colour: str = "",
) -> SafeString:
    """Placeholder, preceded by the script tag unless this request already wrote it."""
    placeholder = widget_placeholder(program, kind, identity=identity, title=title, colour=colour)
    if request is not None and getattr(request, _SCRIPT_DONE, False):
        return placeholder
    if request is not None:
        setattr(request, _SCRIPT_DONE, True)
    return widget_script(program) + placeholder  # both SafeString (format_html): so is the sum
