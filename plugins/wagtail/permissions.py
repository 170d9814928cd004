"""Who may point a program at a landing page, and who is doing it right now.

Publishing a landing page changes its program (landing URL, allowed widget origins), so it
takes the Django permission ``parrain.change_program`` on top of Wagtail's page permissions.
Django permissions are global: with it an editor may choose any program, without it none.

The user is the one who publishes, not the revision's author: a moderator approving an
editor's draft is checked. Wagtail's publish signal does not carry the user, so it is read
from the landing page's own ``publish``/``unpublish``/``delete`` (when given a user), else
from Wagtail's admin log context (every admin view), else, for a publication that goes
live on schedule, from whoever scheduled it. No user at all means code run by the site's
operator (a management command, the demo), which is trusted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

CHANGE_PROGRAM = "parrain.change_program"

_publisher: ContextVar[Any] = ContextVar("parrain_wagtail_publisher", default=None)


def may_change_programs(user: Any) -> bool:
    return user is None or bool(user.has_perm(CHANGE_PROGRAM))


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Name the user behind a page action made in code (``page.publish(revision, user=…)``)."""
    token = _publisher.set(user) if user is not None else None
    try:
        yield
    finally:
        if token is not None:
            _publisher.reset(token)


def acting_user(revision: Any = None) -> Any:
    """The user publishing, unpublishing or deleting a page now; None for operator code."""
    from wagtail.log_actions import get_active_log_context

    user = _publisher.get() or getattr(get_active_log_context(), "user", None)
    if user is None and revision is not None:
        user = scheduled_by(revision)
    return user


def scheduled_by(revision: Any) -> Any:
    """Who scheduled ``revision`` to go live (Wagtail logs it), when it was scheduled."""
    from wagtail.models import PageLogEntry

    entry = (
        PageLogEntry.objects.filter(revision=revision, action="wagtail.publish.schedule")
        .exclude(user=None)
        .select_related("user")
        .order_by("-timestamp", "-pk")
        .first()
    )
    return entry.user if entry is not None else None


def actor(user: Any) -> str:
    """How the audit log names the user."""
    return f"wagtail:{user.pk}" if user is not None else "system"
