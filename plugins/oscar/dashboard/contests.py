"""The dashboard's contests (prize draws): list, the core's ``ContestForm`` with its prizes,
opening, entries (page by page and as the CSV file), the draw with a confirmation step,
and the winners with redraw and "delivered".

Every change goes through ``core.services.contest_setup`` or ``core.services.contests``
(checked, audited, signalled); a refusal is shown on the page and stores nothing.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView

from parrain.core.exceptions import ParrainError
from parrain.core.forms.contest import ContestForm
from parrain.core.models import Contest, ContestEntry, ContestWinner
from parrain.core.models.contest import ContestStatus
from parrain.core.services import contest_setup, contests

from .forms import DrawForm, RedrawForm
from .views import ProgramMixin, actor_of

ENTRIES_PER_PAGE = 50


def contest_url(name: str, contest: Contest) -> str:
    return reverse(f"parrain_oscar_dashboard:{name}", kwargs={"pk": contest.pk})


class ContestListView(ProgramMixin, ListView):
    template_name = "parrain_oscar/dashboard/contest_list.html"
    context_object_name = "contests"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Contest]:
        return Contest.objects.filter(program=self.program).order_by("-entries_start", "-pk")


class ContestMixin(ProgramMixin):
    """A view of one contest (``pk`` in the URL): the contest decides the program."""

    kwargs: dict[str, Any]

    @property
    def contest(self) -> Contest:
        if not hasattr(self, "_contest"):
            self._contest = get_object_or_404(
                Contest.objects.select_related("program", "badge"), pk=self.kwargs["pk"]
            )
            self._program = self._contest.program
        return self._contest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        contest = self.contest
        context = super().get_context_data(**kwargs)
        context.update(contest=contest, programs=[], now=timezone.now())
        return context


class ContestDetailView(ContestMixin, TemplateView):
    """The contest at a glance: period, prizes, verification data, winners and actions."""

    template_name = "parrain_oscar/dashboard/contest_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        contest = self.contest
        context.update(
            prizes=contest.prizes.select_related("reward_rule").order_by("position", "pk"),
            winners=ContestWinner.objects.filter(contest=contest)
            .select_related("prize", "entry__contact")
            .order_by("pick"),
        )
        return context


class ContestFormView(ProgramMixin, TemplateView):
    """Create a contest (no ``pk``) or edit one: the core's form and its prizes formset."""

    template_name = "parrain_oscar/dashboard/contest_form.html"

    def get_instance(self) -> Contest | None:
        return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        instance = self.get_instance()
        context.setdefault("form", ContestForm(program=self.program, instance=instance))
        context["contest"] = instance
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        form = ContestForm(request.POST, program=self.program, instance=instance)
        contest = form.save(actor=actor_of(request)) if form.is_valid() else None
        if contest is None:
            messages.error(request, _("The contest was not saved: see the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Contest “%(name)s” saved.") % {"name": contest.name})
        return HttpResponseRedirect(contest_url("parrain-contest-detail", contest))


class ContestUpdateView(ContestMixin, ContestFormView):
    def get_instance(self) -> Contest | None:
        return self.contest


class ContestOpenView(ContestMixin, TemplateView):
    """GET says what opening does (and what is still missing); POST opens the contest."""

    template_name = "parrain_oscar/dashboard/contest_open.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "missing" not in context and self.contest.status == ContestStatus.DRAFT:
            try:
                contest_setup.check_ready(self.contest)
            except ParrainError as error:
                context["missing"] = error.message
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            contest = contest_setup.open_contest(self.contest, actor=actor_of(request))
        except ParrainError as error:
            context = self.get_context_data(missing=error.message)
            return self.render_to_response(context, status=error.status)
        messages.success(
            request,
            _("Contest “%(name)s” is open; its commitment is published.") % {"name": contest.name},
        )
        return HttpResponseRedirect(contest_url("parrain-contest-detail", contest))


class ContestEntriesView(ContestMixin, TemplateView):
    """The entries, page by page: the frozen file once drawn, else a preview made now."""

    template_name = "parrain_oscar/dashboard/contest_entries.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        contest = self.contest
        frozen = contest.status == ContestStatus.DRAWN
        rows: Any = (
            ContestEntry.objects.filter(contest=contest)
            .select_related("contact")
            .order_by("position")
            if frozen
            else preview_entries(contest)
        )
        page = Paginator(rows, ENTRIES_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            frozen=frozen,
            entries=page.object_list,
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
        )
        return context


def preview_entries(contest: Contest) -> list[dict[str, Any]]:
    """The entries a draw would freeze now, read back from the core's CSV preview."""
    if contest.status != ContestStatus.OPEN:
        return []
    text = contests.entries_csv(contest).decode("utf-8")
    return [
        {"entrant": row["entrant"], "tickets": int(row["tickets"]), "contact": None}
        for row in csv.DictReader(io.StringIO(text))
    ]


class ContestEntriesCsvView(ContestMixin, TemplateView):
    """The entries file: byte for byte what was hashed once drawn, else a preview."""

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        contest = self.contest
        response = HttpResponse(contests.entries_csv(contest), content_type="text/csv")
        suffix = "" if contest.status == ContestStatus.DRAWN else "-preview"
        name = f"contest-{contest.public_id}-entries{suffix}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ContestDrawView(ContestMixin, TemplateView):
    """The draw in two steps: type the public value, then confirm (it is final).

    A first POST checks the value and shows what will happen; only a POST carrying
    ``confirm`` runs ``contests.draw``.
    """

    template_name = "parrain_oscar/dashboard/contest_draw.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", DrawForm())
        context["units"] = sum(prize.quantity for prize in self.contest.prizes.all())
        context["prizes"] = self.contest.prizes.order_by("position", "pk")
        return context

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if self.contest.status == ContestStatus.DRAWN:
            messages.info(request, _("This contest has been drawn: here is the result."))
            return HttpResponseRedirect(contest_url("parrain-contest-detail", self.contest))
        return super().get(request, **kwargs)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = DrawForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if not form.cleaned_data["confirm"]:
            return self.render_to_response(self.get_context_data(form=form, confirming=True))
        try:
            result = contests.draw(
                self.contest, form.cleaned_data["public_value"], actor=actor_of(request)
            )
        except ParrainError as error:
            form.add_error(None, error.message)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        if result.created:
            messages.success(request, _("The draw is done: the winners are below."))
        else:
            messages.info(request, _("This contest had already been drawn: here is that result."))
        return HttpResponseRedirect(contest_url("parrain-contest-detail", result.contest))


class WinnerMixin(ProgramMixin):
    kwargs: dict[str, Any]

    @property
    def winner(self) -> ContestWinner:
        if not hasattr(self, "_winner"):
            self._winner = get_object_or_404(
                ContestWinner.objects.select_related("contest__program", "prize", "entry__contact"),
                pk=self.kwargs["pk"],
            )
            self._program = self._winner.contest.program
        return self._winner

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        winner = self.winner
        context = super().get_context_data(**kwargs)
        context.update(winner=winner, contest=winner.contest, programs=[])
        return context

    def done(self) -> HttpResponse:
        return HttpResponseRedirect(contest_url("parrain-contest-detail", self.winner.contest))


class WinnerRedrawView(WinnerMixin, TemplateView):
    """GET asks for confirmation and a reason; POST gives the prize unit to the next pick."""

    template_name = "parrain_oscar/dashboard/contest_redraw.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RedrawForm())
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = RedrawForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            new = contests.redraw(
                self.winner, actor=actor_of(request), reason=form.cleaned_data["reason"]
            )
        except ParrainError as error:
            form.add_error(None, error.message)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        messages.success(
            request,
            _("Prize redrawn: pick %(pick)s, %(entrant)s.")
            % {"pick": new.pick + 1, "entrant": new.entry.entrant},
        )
        return self.done()


class WinnerDeliveredView(WinnerMixin, TemplateView):
    """POST only: the prize reached its winner."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            contests.mark_delivered(self.winner, actor=actor_of(request))
        except ParrainError as error:
            messages.error(request, error.message)
            page = ContestDetailView()
            page.setup(request, pk=self.winner.contest_id)
            return page.render_to_response(page.get_context_data(), status=error.status)
        messages.success(request, _("Prize marked as delivered."))
        return self.done()
