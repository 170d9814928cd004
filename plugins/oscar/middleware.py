"""Carry the referral code from the share link to the order.

The share link (``/r/<code>``) sets the first-party cookie ``parrain_ref`` and redirects to
the landing page with ``?parrain=<code>``. This middleware copies either into the session
(the query parameter wins: it is the latest link followed) and remembers the request for
the ``order_placed`` receiver, which has no request of its own. It touches the session only
when a code arrives, so other requests cost nothing; never on the share link itself, which
only sets the cookie and redirects to the landing page carrying the code (reading and
saving a session there was two database round trips per returning visitor's click).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from parrain.core.services.sharing import CLICK_COOKIE

from .conf import CLICK_SESSION_KEY, SESSION_KEY, oscar_settings

_CODE = re.compile(r"^[A-Za-z0-9]{4,32}$")
_current_request: ContextVar[HttpRequest | None] = ContextVar("parrain_request", default=None)


def clean_code(value: str | None) -> str:
    value = (value or "").strip()
    return value.upper() if _CODE.match(value) else ""


def current_request() -> HttpRequest | None:
    return _current_request.get()


def session_referral_code(request: HttpRequest | None) -> str:
    session = getattr(request, "session", None)
    return str(session.get(SESSION_KEY, "")) if session is not None else ""


def session_referral_click(request: HttpRequest | None) -> str:
    """The signed share-link click that came with the session's code ("" if none)."""
    session = getattr(request, "session", None)
    return str(session.get(CLICK_SESSION_KEY, "")) if session is not None else ""


@functools.cache
def _share_link_prefix() -> str:
    """The path every share link starts with (``/r/``); "" when the core's URLs are not
    installed."""
    try:
        return reverse("parrain:share-link", args=["CODE"]).removesuffix("CODE")
    except NoReverseMatch:
        return ""


class ReferralCodeMiddleware:
    """Put it after ``SessionMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        share_link = _share_link_prefix()
        if not (share_link and request.path.startswith(share_link)):
            self.remember_code(request)
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)

    def remember_code(self, request: HttpRequest) -> None:
        from_link = clean_code(request.GET.get(oscar_settings.QUERY_PARAM))
        from_cookie = clean_code(request.COOKIES.get(oscar_settings.COOKIE_NAME))
        if not (from_link or from_cookie):
            return
        session = request.session
        code = ""
        if from_link and session.get(SESSION_KEY) != from_link:
            code = session[SESSION_KEY] = from_link
        elif from_cookie and not session.get(SESSION_KEY):
            code = session[SESSION_KEY] = from_cookie
        if code:
            # When the link was clicked (checked by the core, which dates the invitation).
            click = request.COOKIES.get(CLICK_COOKIE, "")[:200]
            if click.upper().startswith(f"{code}:"):
                session[CLICK_SESSION_KEY] = click
            else:
                session.pop(CLICK_SESSION_KEY, None)
