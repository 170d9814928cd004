"""The demo's home page: what is installed and where to click first."""

from __future__ import annotations

from pathlib import Path

from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language

from parrain.core.models import Program, RewardRule

from . import outbox

LINKS = {
    "admin": "/admin/",
    "docs": "/api/v1/docs",
    "openapi": "/api/v1/openapi.json",
    "widgets": "/widgets/",
    "outbox": "/demo/outbox/",
    "customers": "/demo/customers.csv",
    "imports": "/admin/parrain/contactimport/upload/",
}
#: 50 customers of a French shop (French headers, ``;``, UTF-8 with a BOM), to try the import.
DEMO_CUSTOMERS = Path(__file__).resolve().parent / "demo_customers.csv"


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
    context = {"programs": programs, "links": LINKS, "outbox": outbox.enabled()}
    return render(request, "sandbox/home.html", context)


# Widget (issue 3): the demo page with both widgets, and the bare view the benchmark uses.

DEMO_PROGRAM = "maison-lumiere"


def widgets(request: HttpRequest) -> HttpResponse:
    """Both widgets for one program (``?program=<slug>``, the main demo program by default)."""
    active = Program.objects.filter(is_active=True)
    program = active.filter(slug=request.GET.get("program") or DEMO_PROGRAM).first()
    program = program or active.order_by("pk").first()
    if program is None:
        raise Http404("no active program: run make demo")
    context = {"program": program, "programs": active.order_by("name"), "links": LINKS}
    return render(request, "sandbox/widgets.html", context)


def customers(request: HttpRequest) -> FileResponse:
    """The sample customer file, as a download: what a shop owner would export from a shop."""
    return FileResponse(
        DEMO_CUSTOMERS.open("rb"),
        as_attachment=True,
        filename="demo_customers.csv",
        content_type="text/csv; charset=utf-8",
    )


def bare(request: HttpRequest) -> JsonResponse:
    """The smallest Django view: the baseline of bench/share_link.py."""
    return JsonResponse({"ok": True})


# --- Django Oscar shop (issue 4) ---
def shop_home(request: HttpRequest) -> HttpResponse:
    """The demo shop's front page: every product, read from the database.

    Oscar's own catalogue page lists products through a search backend; the demo runs the
    simple one, which cannot browse, so this page lists them directly.
    """
    from oscar.core.loading import get_model

    products = get_model("catalogue", "Product").objects.browsable().order_by("title")
    return render(request, "sandbox/shop_home.html", {"products": products})
