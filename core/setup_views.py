"""The setup checklist and the embed snippet generator (issue 15 §2): one view layer that
the three admins wrap in their own look.

- :func:`checklist_context` gives the template include ``parrain/admin/setup_checklist.html``
  what it draws: the steps of ``services.setup_checklist`` with the links the admin passes.
- :class:`SnippetGeneratorView`: pick the widget, language, colour and title; copy the HTML;
  beside it a live preview of the real widget. The preview is an ``<iframe srcdoc>``: its
  document has the admin page's origin, and its widget calls the public API on that same
  origin (the API always allows its own origin), whatever ``PARRAIN_BASE_URL`` and the
  allowed origins say. The preview sends no referrer, so it does not count as "widget placed".
- :class:`MessagesReviewedView`: the owner marks the shipped messages as reviewed (POST).

An admin subclasses the views and says which program (``get_program``), who may
(``may_view`` / ``may_change``) and which template draws the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from .addresses import origin_of
from .conf import parrain_settings
from .embed import widget_placeholder, widget_script
from .forms.snippet import SnippetForm
from .models import Program
from .services.setup_checklist import mark_messages_reviewed, setup_checklist

SNIPPET_TITLE = _("Widget code")
CHECKLIST_TEMPLATE = "parrain/admin/setup_checklist.html"


def checklist_context(
    program: Program, links: Mapping[str, str], *, review_url: str = ""
) -> dict[str, Any]:
    """What the checklist include needs; ``review_url`` takes the "mark reviewed" POST."""
    return {"checklist": setup_checklist(program, links), "review_url": review_url}


def render_checklist(
    request: HttpRequest, program: Program, links: Mapping[str, str], *, review_url: str = ""
) -> SafeString:
    context = checklist_context(program, links, review_url=review_url)
    return render_to_string(CHECKLIST_TEMPLATE, context, request=request)  # a SafeString


def own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def snippet_for(program: Program, options: Mapping[str, str], *, api: str = "") -> str:
    """The HTML to paste: the script, then the placeholder with the chosen options."""
    colour = options.get("colour", "")
    placeholder = widget_placeholder(
        program,
        options.get("kind") or "referrer",
        title=options.get("title", ""),
        colour="" if colour.lower() == program.brand_colour.lower() else colour,
        language=options.get("language", ""),
    )
    return f"{widget_script(program, api=api, absolute=True)}\n{placeholder}"


def preview_document(program: Program, options: Mapping[str, str], request: HttpRequest) -> str:
    """The preview frame's document: the same snippet, calling this server's own origin."""
    language = options.get("language") or (get_language() or "en")[:2]
    return render_to_string(
        "parrain/admin/widget_preview.html",
        {"language": language, "snippet": snippet_for(program, options, api=own_origin(request))},
    )


class SnippetGeneratorView(TemplateView):
    """GET only: the options come in the query string, so a changed option is one fetch."""

    http_method_names = ["get"]
    request: HttpRequest

    def get_program(self) -> Program | None:
        raise NotImplementedError

    def may_view(self) -> bool:
        return bool(self.request.user.has_perm("parrain.view_program"))

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.may_view():
            raise PermissionDenied
        if self.get_program() is None:
            raise Http404
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        program = self.get_program()
        if program is None:
            raise Http404
        form = SnippetForm(self.request.GET, program=program)
        options = form.options()
        base = origin_of(parrain_settings.BASE_URL)
        context.update(
            title=SNIPPET_TITLE,
            page_title=SNIPPET_TITLE,
            program=program,
            form=form,
            snippet=snippet_for(program, options),
            preview=preview_document(program, options, self.request),
            base_url=base,
            other_origin=base != origin_of(own_origin(self.request)),
            allowed_origins=program.allowed_origins or [],
        )
        return context


class MessagesReviewedView(View):
    """POST: mark the program's messages as reviewed, then back to ``next`` (same host)."""

    http_method_names = ["post"]

    def get_program(self) -> Program | None:
        raise NotImplementedError

    def may_change(self) -> bool:
        return bool(self.request.user.has_perm("parrain.change_messagetemplate"))

    def actor(self) -> str:
        return self.request.user.get_username()

    def fallback_url(self, program: Program) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        program = self.get_program()
        if program is None:
            raise Http404
        if not self.may_change():
            raise PermissionDenied
        mark_messages_reviewed(program, actor=self.actor())
        messages.success(request, _("The messages are marked as reviewed."))
        target = request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
        return HttpResponseRedirect(target if safe and target else self.fallback_url(program))
