"""The demo's home page: what is installed and where to click first."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from parrain.core.models import Program, RewardRule

LINKS = {
    "admin": "/admin/",
    "docs": "/api/v1/docs",
    "openapi": "/api/v1/openapi.json",
}


def offer_label(rule: RewardRule, language: str) -> str:
    """The shop owner's label in the visitor's language, else the rule's own wording."""
    labels = rule.labels or {}
    return labels.get(language) or labels.get(rule.program.default_language) or str(rule)


def home(request: HttpRequest) -> HttpResponse:
    language = (get_language() or "en")[:2]
    programs = list(
        Program.objects.annotate(contact_count=Count("contacts"))
        .prefetch_related("reward_rules__program")
        .order_by("name")
    )
    for program in programs:
        rules = [rule for rule in program.reward_rules.all() if rule.is_active]
        program.offers = [(rule.get_side_display(), offer_label(rule, language)) for rule in rules]
    return render(request, "sandbox/home.html", {"programs": programs, "links": LINKS})


# --- Django Oscar shop (issue 4) ---
def shop_home(request: HttpRequest) -> HttpResponse:
    """The demo shop's front page: every product, read from the database.

    Oscar's own catalogue page lists products through a search backend; the demo runs the
    simple one, which cannot browse, so this page lists them directly.
    """
    from oscar.core.loading import get_model

    products = get_model("catalogue", "Product").objects.browsable().order_by("title")
    return render(request, "sandbox/shop_home.html", {"products": products})
