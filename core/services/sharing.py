"""The share link ``/r/<code>``: count the visit, remember the code, land on the shop.

The link is what referrers paste anywhere; it carries the code to the program's landing
page as ``?parrain=<code>`` and leaves the first-party cookie ``parrain_ref`` (the code) for
the attribution window, so an order placed days later on the same site is still attributed.
Only the landing page's own host is ever a target: ``next`` elsewhere is ignored.

Beside it, ``parrain_ref_at`` carries *when* the link was clicked, signed
(``CODE:unix-seconds:signature``) so a friend cannot date their click back into a boost:
a friend who clicked during a boost and claims or orders after it is invited at the click
(``click_time``). Without it (cookies set before it existed), the friend is invited when
they claim or order, as before.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.core import signing
from django.db import connection
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from ..conf import parrain_settings
from ..memo import Memo
from ..models import Contact, Program
from .enrolment import SHARE_QUERY_PARAM

REFERRAL_COOKIE = "parrain_ref"
CLICK_COOKIE = "parrain_ref_at"
CLICK_SALT = "parrain.share-click"
#: How far back a click may date an invitation when the program sets no attribution window.
LONGEST_CLICK_AGE = timedelta(days=365)
DAY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class ShareTarget:
    """What the share link needs of a referrer and their program."""

    program_id: int
    referrer_id: int
    code: str
    landing: str
    max_age: int


# Share codes, per process. Most clicks are the first of their code in this process (tens
# of thousands of codes, each clicked now and then), so a per-code memo alone still queried
# the database for nearly every click. Instead each process holds a directory of the
# ``SHARE_CODES_IN_MEMORY`` most recent referrers' codes, read in one query and read again
# every ``_DIRECTORY_SECONDS``: a click on one of those costs no round trip at all. A code
# outside it (a referrer enrolled since the last read, or an older one beyond the limit)
# reads two columns of one indexed row, remembered per code; the program's part (landing
# page, cookie age, active or not) comes from its own memo, shared by all of its codes.
_DIRECTORY_SECONDS = 30.0
_directory: dict[str, tuple[int, int]] = {}
_directory_until = 0.0  # time.monotonic() after which the directory is read again
_codes: Memo[tuple[int, int] | None] = Memo(seconds=30, max_entries=50_000)
_programs: Memo[tuple[str, int] | None] = Memo(seconds=30)


def share_target(code: str) -> ShareTarget | None:
    code = code.strip().upper()[:32]
    found = _in_directory(code) or _codes.get(code, lambda: _referrer_of(code))
    if found is None:
        return None
    program_id, referrer_id = found
    program = _programs.get(program_id, lambda: _program_of(program_id))
    if program is None:
        return None
    landing, max_age = program
    return ShareTarget(program_id, referrer_id, code, landing, max_age)


def _in_directory(code: str) -> tuple[int, int] | None:
    global _directory, _directory_until
    now = time.monotonic()
    if now >= _directory_until:
        _directory, _directory_until = _read_directory(), now + _DIRECTORY_SECONDS
    return _directory.get(code)


def _read_directory() -> dict[str, tuple[int, int]]:
    """code -> (program id, contact id) of the most recent referrers, in one query."""
    limit = parrain_settings.SHARE_CODES_IN_MEMORY
    if not limit:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_sql()["directory"], [limit])
        return {code: (program, pk) for code, program, pk in cursor.fetchall()}


def _referrer_of(code: str) -> tuple[int, int] | None:
    """(program id, contact id) of the referrer whose code is ``code``: one indexed row,
    written in SQL (the ORM took ten times as long as the query to build it)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql()["referrer"], [code])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


@functools.cache
def _sql() -> dict[str, str]:
    quote = connection.ops.quote_name
    table = quote(Contact._meta.db_table)
    code = quote(Contact._meta.get_field("referrer_code").column)
    program = quote(Contact._meta.get_field("program").column)
    pk = quote(Contact._meta.pk.column)
    return {
        "directory": f"SELECT {code}, {program}, {pk} FROM {table} "  # nosec B608 # quoted model names; values are parameters
        f"WHERE {code} IS NOT NULL ORDER BY {pk} DESC LIMIT %s",
        # unique index on the code
        "referrer": f"SELECT {program}, {pk} FROM {table} WHERE {code} = %s",  # nosec B608 # quoted model names; the code is a parameter
    }


def _program_of(program_id: int) -> tuple[str, int] | None:
    """(landing page, cookie max age) of an active program; None if inactive or gone."""
    program = (
        Program.objects.filter(pk=program_id, is_active=True)
        .only("landing_url", "attribution_window_days")
        .first()
    )
    return (landing_page(program), cookie_max_age(program)) if program else None


def forget_targets() -> None:
    global _directory_until
    _directory_until = 0.0
    _codes.forget()
    _programs.forget()


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


def click_value(code: str, at: datetime) -> str:
    """The signed ``CLICK_COOKIE`` value: the code and the instant of the click."""
    return signing.Signer(salt=CLICK_SALT).sign(f"{code}:{int(at.timestamp())}")


def click_time(
    value: str | None, code: str, program: Program, now: datetime | None = None
) -> datetime | None:
    """When the friend clicked ``code``'s link, read from a ``CLICK_COOKIE`` value; None when
    the value is missing, forged, for another code, or older than the attribution window.
    Never later than ``now`` (the claim's or the order's instant)."""
    if not value:
        return None
    try:
        clicked_code, stamp = signing.Signer(salt=CLICK_SALT).unsign(value).rsplit(":", 1)
        clicked = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (signing.BadSignature, ValueError, OverflowError, OSError):
        return None
    if clicked_code.upper() != code.strip().upper():
        return None
    return bounded_click(clicked, program, now)


def bounded_click(
    clicked: datetime, program: Program, now: datetime | None = None
) -> datetime | None:
    """``clicked`` kept within [``now`` − attribution window, ``now``]: None when older."""
    now = now or timezone.now()
    days = program.attribution_window_days
    oldest = now - (timedelta(days=days) if days else LONGEST_CLICK_AGE)
    if clicked < oldest:
        return None
    return min(clicked, now)
