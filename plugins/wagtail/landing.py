"""Keep ``Program.landing_url`` pointing at the program's live landing page.

Publishing a landing page makes its full URL the program's landing URL, so the share links
the core builds (``<landing_url>?parrain=<code>``) send friends to it, and adds the page's
origin to the program's allowed widget origins so the widget on it may call the API. When
the page stops being live (unpublished, deleted, moved out of every site, switched to
another program), the program falls back to another live landing page of the same program,
else to an empty landing URL: the core then sends share links to the site's home page
(``PARRAIN_BASE_URL``), never to a missing page. A moved page takes the link along.

Who may make these changes is decided by the receivers (see ``permissions.py``); the
``programs_changed_by_*`` functions tell them, and the admin messages, what a publication
or a removal would change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from parrain.core.addresses import origin_of
from parrain.core.models import Program

from .models import ReferralLandingPageMixin

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandingChange:
    program: Program
    before: str
    after: str


def page_url(page: ReferralLandingPageMixin) -> str:
    """The page's absolute URL, or ``""`` when no site serves it."""
    return page.get_full_url() or ""


def live_landing_pages(program: Program, exclude_pk: int | None = None) -> list:
    """The live landing pages of ``program``, any page type built on the mixin, oldest first."""
    from wagtail.models import get_page_models

    pages = []
    for model in get_page_models():
        if issubclass(model, ReferralLandingPageMixin) and not model._meta.abstract:
            found = model.objects.live().filter(program=program).exclude(pk=exclude_pk)
            pages.extend(found.order_by("first_published_at", "pk"))
    return pages


def _set(program: Program, url: str) -> LandingChange | None:
    before = program.landing_url
    if before == url:
        return None
    Program.objects.filter(pk=program.pk).update(landing_url=url)
    program.landing_url = url
    logger.info("program %s landing URL %r -> %r", program.slug, before, url)
    return LandingChange(program, before, url)


@transaction.atomic
def page_published(page: ReferralLandingPageMixin) -> list[LandingChange]:
    """The page is live: it becomes its program's landing page.

    Another program that pointed at this page (the editor switched the page's program)
    falls back like an unpublished page would.
    """
    url = page_url(page)
    changes = []
    if url:
        for other in Program.objects.filter(landing_url=url).exclude(pk=page.program_id):
            changes.append(_fall_back(other, exclude_pk=page.pk))
        if page.program is not None:
            changes.append(_set(page.program, url))
            allow_origin(page.program, url)
    return [change for change in changes if change]


def programs_changed_by_publishing(page: ReferralLandingPageMixin) -> list[Program]:
    """The programs :func:`page_published` would change: the page's own (landing URL or
    allowed origin not yet this page's), and any other program pointing at this page."""
    url = page_url(page)
    if not url:
        return []
    found = list(Program.objects.filter(landing_url=url).exclude(pk=page.program_id))
    own = Program.objects.filter(pk=page.program_id).first()
    if own is not None and (
        own.landing_url != url or origin_of(url) not in (own.allowed_origins or [])
    ):
        found.append(own)
    return found


def programs_changed_by_removing(url: str) -> list[Program]:
    """The programs :func:`page_removed` would change: those pointing at the page's URL."""
    return list(Program.objects.filter(landing_url=url)) if url else []


def allow_origin(program: Program, url: str) -> bool:
    """Let the widget on the landing page call the public API: add the page's origin to the
    program's allowed origins when missing. True when it was added."""
    origin = origin_of(url)
    program.refresh_from_db(fields=["allowed_origins"])
    if origin in (program.allowed_origins or []):
        return False
    program.allowed_origins = [*(program.allowed_origins or []), origin]
    Program.objects.filter(pk=program.pk).update(allowed_origins=program.allowed_origins)
    logger.info("program %s: widget origin %s allowed", program.slug, origin)
    return True


@transaction.atomic
def page_removed(page: ReferralLandingPageMixin, url: str | None = None) -> list[LandingChange]:
    """The page was unpublished or deleted: its program no longer points at it."""
    url = page_url(page) if url is None else url
    if not url:
        return []
    changes = [
        _fall_back(program, exclude_pk=page.pk)
        for program in Program.objects.filter(landing_url=url)
    ]
    return [change for change in changes if change]


def landing_pages_within(page: Any) -> list[ReferralLandingPageMixin]:
    """The live landing pages in ``page``'s subtree, ``page`` included."""
    from wagtail.models import get_page_models

    found = []
    for model in get_page_models():
        if issubclass(model, ReferralLandingPageMixin) and not model._meta.abstract:
            found += model.objects.live().descendant_of(page, inclusive=True)
    return found


@transaction.atomic
def pages_moved(urls_before: dict[int, str]) -> list[LandingChange]:
    """Landing pages moved (with an ancestor or alone): programs follow them."""
    changes = []
    for model_page in _by_pk(urls_before):
        before, after = urls_before[model_page.pk], page_url(model_page)
        for program in Program.objects.filter(landing_url=before):
            changes.append(_set(program, after) if after else _fall_back(program, model_page.pk))
    return [change for change in changes if change]


def _by_pk(urls: dict[int, str]) -> list[ReferralLandingPageMixin]:
    from wagtail.models import Page

    return [page.specific for page in Page.objects.filter(pk__in=urls)]


def _fall_back(program: Program, exclude_pk: int | None) -> LandingChange | None:
    others = live_landing_pages(program, exclude_pk=exclude_pk)
    urls = [url for url in map(page_url, others) if url]
    return _set(program, urls[0] if urls else "")
