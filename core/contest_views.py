"""The public contest page ``/contest/<public_id>/`` and its entries file.

Anyone may read an opened contest, in their language (one of the program's): the rules,
the period, a countdown, the commitment; once drawn, the winners (first name + initial
only), the seed, the public value, the entries file and how to verify the draw.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from .api.widget import widget_language
from .services import contest_public, contests


@require_GET
def contest_page(request: HttpRequest, public_id: str) -> HttpResponse:
    contest = contest_public.find_public(public_id)
    if contest is None:
        raise Http404("no such contest")
    wanted = request.GET.get("lang") or translation.get_language_from_request(request)
    language = widget_language(contest.program, wanted)
    with translation.override(language):
        context = {
            "view": contest_public.public_view(contest, language),
            "contest": contest,
            "fair_draw_doc": contest_public.FAIR_DRAW_DOC,
            "LANGUAGE_CODE": language,
        }
        response = render(request, "parrain/contest.html", context)
    response["Content-Language"] = language
    response["Vary"] = "Accept-Language"
    return response


@require_GET
def contest_entries(request: HttpRequest, public_id: str) -> HttpResponse:
    """The frozen entries file, from the end of the entries on: byte for byte what was
    hashed."""
    contest = contest_public.find_public(public_id)
    if contest is None or contest.entries_frozen_at is None:
        raise Http404("no published entries file")
    response = HttpResponse(contests.entries_csv(contest), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{contest.public_id}-entries.csv"'
    response["Cache-Control"] = "public, max-age=3600"
    return response
