"""The language a landing page speaks to its visitor.

The visitor's language (``Accept-Language``, through Django's ``LocaleMiddleware``) when the
page's program speaks it; else the page's own locale when the program speaks that; else
the program's default language. With Wagtail's internationalisation on, a visitor whose
language has a live translation of the page is sent to it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation


def _program_languages(page: Any) -> list[str]:
    program = getattr(page, "program", None)
    return [str(code)[:2].lower() for code in (program.languages or [])] if program else []


def _wanted(request: Any) -> str:
    """The language the visitor asked for (browser or language cookie); ``""`` when they
    said nothing, so the page keeps its own."""
    meta, cookies = getattr(request, "META", {}), getattr(request, "COOKIES", {})
    if not meta.get("HTTP_ACCEPT_LANGUAGE") and not cookies.get(settings.LANGUAGE_COOKIE_NAME):
        return ""
    code = getattr(request, "LANGUAGE_CODE", "") or translation.get_language_from_request(request)
    return (code or "")[:2].lower()


def _page_locale(page: Any) -> str:
    locale = getattr(page, "locale", None)
    return (getattr(locale, "language_code", "") or "")[:2].lower()


def visitor_language(page: Any, request: Any) -> str:
    spoken = _program_languages(page)
    page_code = _page_locale(page)
    if not spoken:
        return page_code or _wanted(request) or settings.LANGUAGE_CODE[:2]
    for code in (_wanted(request), page_code):
        if code in spoken:
            return code
    return (page.program.default_language or spoken[0])[:2]


def translation_for(page: Any, request: Any) -> Any:
    """The live translation of ``page`` in the visitor's language, when the site has one
    and the page is not already in it (never during a preview)."""
    if getattr(request, "is_preview", False):
        return None
    if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        return None
    wanted = _wanted(request)
    if not wanted or wanted == _page_locale(page) or wanted not in _program_languages(page):
        return None
    found = page.get_translations().live().filter(locale__language_code__startswith=wanted)
    return found.first()
