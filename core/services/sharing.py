"""The share link ``/r/<code>``: count the visit, remember the code, land on the shop.

The link is what referrers paste anywhere; it carries the code to the program's landing
page as ``?parrain=<code>`` and leaves the first-party cookie ``parrain_ref`` (the code) for
the attribution window, so an order placed days later on the same site is still attributed.
Only the landing page's own host is ever a target: ``next`` elsewhere is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.utils.http import url_has_allowed_host_and_scheme

from ..conf import parrain_settings
from ..memo import Memo
from ..models import Program
from .enrolment import SHARE_QUERY_PARAM, referrer_by_code

REFERRAL_COOKIE = "parrain_ref"
DAY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class ShareTarget:
    """What the share link needs of a referrer and their program."""

    program_id: int
    referrer_id: int
    code: str
    landing: str
    max_age: int


# Codes resolved recently, per process: a popular link does not query the referrer each time.
_targets: Memo[ShareTarget | None] = Memo(seconds=30, max_entries=10_000)


def share_target(code: str) -> ShareTarget | None:
    code = code.strip().upper()[:32]
    return _targets.get(code, lambda: _resolve(code))


def _resolve(code: str) -> ShareTarget | None:
    referrer = referrer_by_code(None, code)
    if referrer is None or not referrer.program.is_active:
        return None
    program = referrer.program
    return ShareTarget(
        program.pk, referrer.pk, code, landing_page(program), cookie_max_age(program)
    )


def forget_targets() -> None:
    _targets.forget()


def landing_page(program: Program) -> str:
    return program.landing_url or f"{parrain_settings.BASE_URL.rstrip('/')}/"


def landing_target(base: str, code: str, next_url: str | None = None) -> str:
    """The landing page ``base`` (or ``next`` on the same host) with the code."""
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
