"""Contests in the Wagtail admin's Referral menu: list, create and edit with the core's
``ContestForm``, a contest's page (status, commitment, prizes, winners), open, cancel, the
draw with its confirmation step, and the redraw of an unclaimed prize.

Every change goes through ``core.services.contest_setup`` / ``core.services.contests``; a
refusal is shown as it is worded by the core and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.snippets.views import snippets

from parrain.core.exceptions import ParrainError
from parrain.core.forms.contest import ContestForm
from parrain.core.models import Contest, ContestWinner, Program
from parrain.core.models.contest import ContestStatus, WinnerStatus
from parrain.core.services import contest_public, contest_setup, contests

from .columns import ProgramDateColumn
from .core_form_views import CoreFormView
from .permissions import actor


class ContestFormView(CoreFormView):
    model = Contest

    def make_form(self, program: Program, data: Any = None) -> ContestForm:
        return ContestForm(data, program=program, instance=self.object)


class ContestEditView(ContestFormView):
    permission_required = "change"


class ContestInspectView(snippets.InspectView):
    """The contest's page: what participants see, the draw's data, the winners, and the
    actions its status allows."""

    template_name = "parrain_wagtail/admin/contest_inspect.html"
    url_names: dict[str, str] = {}

    def get_fields(self) -> list[str]:
        return ["program", "status", "entries_start", "entries_end", "draw_at"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        contest: Contest = self.object
        may_change = self.permission_policy.user_has_permission(self.request.user, "change")
        context.update(
            contest=contest,
            may_change=may_change,
            public_url=contest_public.page_url(contest)
            if contest_public.is_public(contest)
            else "",
            prizes=list(contest.prizes.select_related("reward_rule").order_by("position", "pk")),
            winners=winner_rows(contest, self.url_names),
            urls={
                name: reverse(url, args=[contest.pk])
                for name, url in self.url_names.items()
                if name not in WINNER_ACTIONS
            },
            drawable=contest.status == ContestStatus.OPEN,
        )
        return context


def public_url(contest: Contest) -> str:
    return contest_public.page_url(contest) if contest_public.is_public(contest) else ""


def winner_rows(contest: Contest, url_names: dict[str, str]) -> list[dict[str, Any]]:
    rows = (
        ContestWinner.objects.filter(contest=contest)
        .select_related("prize", "entry__contact")
        .order_by("pick")
    )
    return [
        {
            "winner": row,
            "public_name": contests.public_winner_name(row),
            "email": row.entry.contact.email if row.entry.contact else "",
            "live": row.status != WinnerStatus.UNCLAIMED,
            "delivered": row.status == WinnerStatus.CLAIMED,
            "urls": {
                name: reverse(url_names[name], args=[contest.pk, row.pk])
                for name in WINNER_ACTIONS
                if name in url_names
            },
        }
        for row in rows
    ]


class ContestActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """A POST on one contest (or one of its winners) that calls one core service; the
    refusal of the service comes back as an error message. ``change`` permission."""

    model = Contest
    permission_required = "change"
    http_method_names = ["get", "post"]
    inspect_url_name = ""
    index_url_name = ""
    header_icon = "calendar-check"
    template_name = "parrain_wagtail/admin/contest_confirm.html"
    action = ""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.contest = get_object_or_404(Contest.objects.select_related("program"), pk=kwargs["pk"])
        self.winner = None
        if "winner" in kwargs:
            self.winner = get_object_or_404(
                ContestWinner.objects.select_related("prize", "entry__contact"),
                pk=kwargs["winner"],
                contest=self.contest,
            )

    def back(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse(self.inspect_url_name, args=[self.contest.pk]))

    def get_page_title(self) -> str:
        return str(self.contest)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Contests")},
            {
                "url": reverse(self.inspect_url_name, args=[self.contest.pk]),
                "label": str(self.contest),
            },
            {"url": "", "label": self.get_page_subtitle()},
        ]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(**self.confirmation()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            done = self.run(actor(request.user))
        except ParrainError as error:
            messages.error(request, error.message)
            return self.refused(error)
        if done:
            messages.success(request, done)
        return self.back()

    def refused(self, error: ParrainError) -> HttpResponse:
        """The page again, the core's reason above it, with the refusal's 4xx status."""
        context = self.get_context_data(**self.confirmation())
        return self.render_to_response(context, status=error.status)

    def confirmation(self) -> dict[str, Any]:
        return {"contest": self.contest, "winner": self.winner, "view": self}

    def run(self, who: str) -> str:
        raise NotImplementedError


class OpenContestView(ContestActionView):
    page_subtitle = _("Open the contest")

    def run(self, who: str) -> str:
        contest = contest_setup.open_contest(self.contest, actor=who)
        return _("The contest is open. Its commitment is published: %(commitment)s") % {
            "commitment": contest.commitment
        }


class CancelContestView(ContestActionView):
    page_subtitle = _("Cancel the contest")

    def run(self, who: str) -> str:
        contest_setup.cancel_contest(self.contest, actor=who)
        return str(_("The contest is cancelled; there will be no draw."))


class DrawForm(forms.Form):
    public_value = forms.CharField(
        label=_("public value"),
        max_length=255,
        help_text=_("Type exactly the value published by the source named in the rules."),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class DrawContestView(ContestActionView):
    """Two steps: type the public value, then read what will happen and confirm. The
    draw itself is the core's (idempotent: drawing twice shows the first result)."""

    page_subtitle = _("Run the draw")
    template_name = "parrain_wagtail/admin/contest_draw.html"

    def confirmation(self) -> dict[str, Any]:
        return {**super().confirmation(), "form": DrawForm()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = DrawForm(request.POST)
        if not form.is_valid():
            context = {**super().confirmation(), "form": form}
            return self.render_to_response(self.get_context_data(**context), status=400)
        if not form.cleaned_data["confirmed"]:
            confirmed = DrawForm(initial={**form.cleaned_data, "confirmed": True})
            context = {
                **super().confirmation(),
                "form": confirmed,
                "public_value": form.cleaned_data["public_value"],
                "confirm": True,
            }
            return self.render_to_response(self.get_context_data(**context))
        self.public_value = form.cleaned_data["public_value"]
        return super().post(request, *args, **kwargs)

    def refused(self, error: ParrainError) -> HttpResponse:
        form = DrawForm(initial={"public_value": self.public_value})
        context = self.get_context_data(**{**super().confirmation(), "form": form})
        return self.render_to_response(context, status=error.status)

    def run(self, who: str) -> str:
        result = contests.draw(self.contest, self.public_value, actor=who)
        if not result.created:
            return str(_("The contest had already been drawn: here is its first result."))
        return str(_("The draw is done: the winners are notified."))


class RedrawView(ContestActionView):
    page_subtitle = _("Redraw an unclaimed prize")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.reason = request.POST.get("reason", "")[:255]
        return super().post(request, *args, **kwargs)

    def run(self, who: str) -> str:
        new = contests.redraw(self.winner, actor=who, reason=self.reason)
        return _("The prize goes to the next pick of the draw: %(name)s.") % {
            "name": contests.public_winner_name(new)
        }


class DeliveredView(ContestActionView):
    page_subtitle = _("Prize delivered")

    def run(self, who: str) -> str:
        contests.mark_delivered(self.winner, actor=who)
        return str(_("The prize is marked delivered."))


class EntriesView(ContestActionView):
    """The entries file: the frozen one once drawn, else a preview computed now."""

    permission_required = "view"
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(
            contests.entries_csv(self.contest), content_type="text/csv; charset=utf-8"
        )
        name = self.contest.public_id + ("-entries" if self.contest.drawn_at else "-preview")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class ContestDeleteView(snippets.DeleteView):
    """Only a draft that was never opened (its commitment was never published)."""

    def delete_action(self) -> None:
        contest_setup.delete_contest(self.object, actor=actor(self.request.user))

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ParrainError as error:
            messages.error(self.request, error.message)
            return HttpResponseRedirect(self.get_success_url())


WINNER_ACTIONS = ("redraw", "delivered")
ACTIONS: list[tuple[str, str, type[ContestActionView]]] = [
    ("open", "<int:pk>/open/", OpenContestView),
    ("cancel", "<int:pk>/cancel/", CancelContestView),
    ("draw", "<int:pk>/draw/", DrawContestView),
    ("entries", "<int:pk>/entries.csv", EntriesView),
    ("redraw", "<int:pk>/winners/<int:winner>/redraw/", RedrawView),
    ("delivered", "<int:pk>/winners/<int:winner>/delivered/", DeliveredView),
]


class ContestViewSet(snippets.SnippetViewSet):
    model = Contest
    icon = "calendar-check"
    menu_label = _("Contests")
    add_view_class = ContestFormView
    edit_view_class = ContestEditView
    delete_view_class = ContestDeleteView
    inspect_view_class = ContestInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    create_template_name = edit_template_name = "parrain_wagtail/admin/core_form.html"
    list_display = [
        "name",
        "program",
        Column("status", label=_("Status"), accessor="get_status_display"),
        ProgramDateColumn("entries_end", label=_("Entries until"), sort_key="entries_end"),
        ProgramDateColumn("draw_at", label=_("Draw date"), sort_key="draw_at"),
    ]
    list_filter = ["program", "status"]
    ordering = ["-entries_start"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Contest]:
        return Contest.objects.select_related("program")

    def get_inspect_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        names = {name: self.get_url_name(name) for name, _p, _v in ACTIONS}
        return super().get_inspect_view_kwargs(url_names=names, **kwargs)

    def get_urlpatterns(self) -> list[URLPattern]:
        kwargs = {
            "permission_policy": self.permission_policy,
            "inspect_url_name": self.get_url_name("inspect"),
            "index_url_name": self.get_url_name("list"),
        }
        return [
            *super().get_urlpatterns(),
            *(path(route, view.as_view(**kwargs), name=name) for name, route, view in ACTIONS),
        ]
