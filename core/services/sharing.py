"""The share link ``/r/<code>``: count the visit, remember the code, land on the shop.

The link is what referrers paste anywhere; it carries the code to the program's landing
page as ``?parrain=<code>`` and leaves the first-party cookie ``parrain_ref`` (the code) for
the attribution window, so an order placed days later on the same site is still attributed.
Only the landing page's own host is ever a target: ``next`` elsewhere is ignored.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.utils.http import url_has_allowed_host_and_scheme

from ..conf import parrain_settings
from ..models import Contact, Program, ShareClick
from .enrolment import SHARE_QUERY_PARAM

REFERRAL_COOKIE = "parrain_ref"
DAY_SECONDS = 24 * 60 * 60


def record_click(referrer: Contact) -> None:
    ShareClick.objects.create(program_id=referrer.program_id, referrer_id=referrer.pk)


def landing_page(program: Program) -> str:
    return program.landing_url or f"{parrain_settings.BASE_URL.rstrip('/')}/"


def landing_target(program: Program, code: str, next_url: str | None = None) -> str:
    """The landing page (or ``next`` when it stays on the landing host) with the code."""
    base = landing_page(program)
    parts = urlsplit(base)
    target = base
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={parts.netloc}, require_https=parts.scheme == "https"
    ):
        target = urljoin(base, next_url)
    return with_code(target, code)


def with_code(url: str, code: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if k != SHARE_QUERY_PARAM] + [(SHARE_QUERY_PARAM, code)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def cookie_max_age(program: Program) -> int:
    return program.attribution_window_days * DAY_SECONDS
