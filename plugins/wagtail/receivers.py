"""Wagtail signals that keep programs linked to their landing pages (see ``landing.py``).

``page_published`` (sender: the page class; ``instance``, ``revision``), ``page_unpublished``
(``instance``), ``pre_page_move`` / ``post_page_move`` (``instance``, ``url_path_before``,
``url_path_after``, …) for landing pages moved alone or with an ancestor, and Django's
``pre_delete`` / ``post_delete`` for landing pages deleted directly or with an ancestor.

Publishing, unpublishing and deleting change programs only for a user who may change
programs (``permissions.py``); otherwise the page action goes through, the programs are
left as they are, and the refusal is audited. Every change made is audited with its user.
A page published on schedule changes its program when it goes live, not before.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, pre_delete
from wagtail.signals import page_published, page_unpublished, post_page_move, pre_page_move

from parrain.core import audit
from parrain.core.models import Program

from . import landing
from .models import ReferralLandingPageMixin
from .permissions import acting_user, actor, may_change_programs

#: page pk -> URL it had before deletion (a deleted page can no longer be routed).
_deleting: dict[int, str] = {}
#: moved page pk -> {landing page pk: URL before the move}, for its subtree.
_moving: dict[int, dict[int, str]] = {}


def on_published(sender: type, instance: Any, revision: Any = None, **kwargs: Any) -> None:
    if not isinstance(instance, ReferralLandingPageMixin) or kwargs.get("alias"):
        return
    if not instance.live:  # scheduled: the link moves when the page goes live
        return
    user = acting_user(revision)
    if allowed(user, instance, "publish", landing.programs_changed_by_publishing(instance)):
        record(landing.page_published(instance), user, instance)


def on_unpublished(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, ReferralLandingPageMixin):
        removed(instance, "unpublish", landing.page_url(instance))


def before_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, ReferralLandingPageMixin) and instance.live:
        _deleting[instance.pk] = landing.page_url(instance)


def after_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, ReferralLandingPageMixin) and instance.pk in _deleting:
        removed(instance, "delete", _deleting.pop(instance.pk))


def removed(page: Any, action: str, url: str) -> None:
    user = acting_user()
    if allowed(user, page, action, landing.programs_changed_by_removing(url)):
        record(landing.page_removed(page, url=url), user, page)


def allowed(user: Any, page: Any, action: str, programs: list[Program]) -> bool:
    """May ``user`` make the program changes ``action`` on ``page`` brings; audit a refusal."""
    if may_change_programs(user) or not programs:
        return True
    for program in programs:
        audit.record(
            program,
            "landing.refused",
            reason="no_change_program_permission",
            actor=actor(user),
            page=page.pk,
            page_action=action,
            landing_url=program.landing_url,
        )
    return False


def record(changes: list[landing.LandingChange], user: Any, page: Any) -> None:
    for change in changes:
        audit.record(
            change.program,
            "landing.changed",
            actor=actor(user),
            page=page.pk,
            before=change.before,
            after=change.after,
        )


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
