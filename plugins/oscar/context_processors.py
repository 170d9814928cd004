"""Oscar's site-wide search form, given to Oscar's own pages only.

Oscar's ``oscar.apps.search.context_processors.search_form`` puts a ``search_form`` (a
search box and a "Sort by" menu) in the context of *every* template. Other admins read that
name too: Wagtail's page headers show any ``search_form`` they find, so Oscar's form
appeared in the Wagtail admin's headers, over the title, with a search that did nothing.
Use this processor instead of Oscar's: the storefront's search results and catalogue pages
(the only Oscar templates that read ``search_form``) keep it, every other page goes without.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from oscar.apps.search.context_processors import search_form as oscar_search_form

#: The processor this one replaces (the system check ``parrain_oscar.W002`` looks for it).
OSCAR_SEARCH_FORM = "oscar.apps.search.context_processors.search_form"


def search_form(request: HttpRequest) -> dict[str, Any]:
    """``search_form`` on pages served by Oscar's views (or a fork's subclasses of them)."""
    return oscar_search_form(request) if served_by_oscar(request) else {}


def served_by_oscar(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    view = getattr(match.func, "view_class", match.func)
    classes = getattr(view, "__mro__", (view,))
    return any(getattr(cls, "__module__", "").startswith("oscar.") for cls in classes)
