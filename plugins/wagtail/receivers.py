"""Wagtail signals that keep programs linked to their landing pages (see ``landing.py``).

``page_published`` (sender: the page class; ``instance``, ``revision``), ``page_unpublished``
(``instance``), ``pre_page_move`` / ``post_page_move`` (``instance``, ``url_path_before``,
``url_path_after``, …) for landing pages moved alone or with an ancestor, and Django's
``pre_delete`` / ``post_delete`` for landing pages deleted directly or with an ancestor.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, pre_delete
from wagtail.signals import page_published, page_unpublished, post_page_move, pre_page_move

from . import landing
from .models import ReferralLandingPageMixin

#: page pk -> URL it had before deletion (a deleted page can no longer be routed).
_deleting: dict[int, str] = {}
#: moved page pk -> {landing page pk: URL before the move}, for its subtree.
_moving: dict[int, dict[int, str]] = {}


def on_published(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, ReferralLandingPageMixin) and not kwargs.get("alias"):
        landing.page_published(instance)


def on_unpublished(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, ReferralLandingPageMixin):
        landing.page_removed(instance)


def before_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, ReferralLandingPageMixin) and instance.live:
        _deleting[instance.pk] = landing.page_url(instance)


def after_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, ReferralLandingPageMixin) and instance.pk in _deleting:
        landing.page_removed(instance, url=_deleting.pop(instance.pk))


def before_move(sender: type, instance: Any, **kwargs: Any) -> None:
    pages = landing.landing_pages_within(instance)
    if pages:
        _moving[instance.pk] = {page.pk: landing.page_url(page) for page in pages}


def after_move(sender: type, instance: Any, **kwargs: Any) -> None:
    if instance.pk in _moving:
        landing.pages_moved(_moving.pop(instance.pk))


def connect() -> None:
    page_published.connect(on_published, dispatch_uid="parrain_wagtail.published")
    page_unpublished.connect(on_unpublished, dispatch_uid="parrain_wagtail.unpublished")
    pre_delete.connect(before_delete, dispatch_uid="parrain_wagtail.pre_delete")
    post_delete.connect(after_delete, dispatch_uid="parrain_wagtail.post_delete")
    pre_page_move.connect(before_move, dispatch_uid="parrain_wagtail.pre_page_move")
    post_page_move.connect(after_move, dispatch_uid="parrain_wagtail.post_page_move")
