"""Contests in the Django admin: the core ``ContestForm`` with its prizes table, opening and
drawing behind a confirmation page, the winners with redraw and delivered, the entries
export. Every change goes through ``services.contest_setup`` / ``services.contests``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .api.server_contests import entries_response
from .exceptions import ParrainError
from .forms.contest import ContestForm
from .models import Contest, ContestWinner, Program
from .models.contest import ContestStatus, WinnerStatus
from .services import contest_public, contest_setup, contests


class ProgramChoiceForm(forms.Form):
    program = forms.ModelChoiceField(label=_("program"), queryset=Program.objects.order_by("name"))


class DrawForm(forms.Form):
    public_value = forms.CharField(
        label=_("public value"),
        max_length=255,
        help_text=_("Copy it exactly from the source named in the rules."),
    )
    confirm = forms.BooleanField(
        label=_("I checked the value: run the draw now (it cannot be undone)"), required=True
    )


class RedrawForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=255, required=False)


@admin.register(Contest)
class ContestAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "program",
        "status",
        "entries_start",
        "entries_end",
        "draw_at",
        "entries",
        "public_page",
    )
    list_filter = ("status", "program")
    list_select_related = ("program",)
    search_fields = ("name", "public_id")
    actions = ("open_selected", "draw_selected")

    # the form: the core ContestForm, prizes below it

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if not self.has_add_permission(request):
            raise PermissionDenied
        program = self._program_of(request)
        if program is None:
            return self._choose_program(request)
        return self._form_view(request, program, None)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        contest = self._contest(request, object_id)
        return self._form_view(request, contest.program, contest)

    def _program_of(self, request: HttpRequest) -> Program | None:
        programs = Program.objects.order_by("pk")
        wanted = request.GET.get("program")
        if wanted and wanted.isdigit():
            return programs.filter(pk=int(wanted)).first()
        return programs.first() if programs.count() == 1 else None

    def _choose_program(self, request: HttpRequest) -> TemplateResponse:
        form = ProgramChoiceForm(request.GET or None)
        context = self._context(request, _("Add a contest: choose the program"), form=form)
        return TemplateResponse(request, "admin/parrain/contest/choose_program.html", context)

    def _form_view(
        self, request: HttpRequest, program: Program, contest: Contest | None
    ) -> HttpResponse:
        can_change = (
            self.has_change_permission(request, contest)
            if contest
            else self.has_add_permission(request)
        )
        data = request.POST if request.method == "POST" and can_change else None
        form = ContestForm(data, program=program, instance=contest)
        if data is not None and form.is_valid():
            saved = form.save(actor=request.user.get_username())
            if saved is not None:
                self.message_user(request, _("The contest was saved."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:parrain_contest_change", args=[saved.pk])
                )
        title = _("Change contest") if contest else _("Add a contest")
        context = self._context(
            request,
            title,
            form=form,
            original=contest,
            program=program,
            can_change=can_change,
            media=self.media + form.media,
            public_url=contest_public.page_url(contest)
            if contest and contest_public.is_public(contest)
            else "",
        )
        return TemplateResponse(request, "admin/parrain/contest/form.html", context)

    def has_delete_permission(self, request: HttpRequest, obj: Contest | None = None) -> bool:
        if obj is not None and (obj.status != ContestStatus.DRAFT or obj.opened_at):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Contest) -> None:
        contest_setup.delete_contest(obj, actor=request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Contest]) -> None:
        for contest in queryset:
            self._run(request, contest_setup.delete_contest, contest, _("%(name)s deleted."))

    # list columns

    @admin.display(description=_("entries"))
    def entries(self, obj: Contest) -> str:
        if obj.status == ContestStatus.DRAWN:
            return f"{obj.entries_count} ({obj.tickets_total})"
        return "—"

    @admin.display(description=_("public page"))
    def public_page(self, obj: Contest) -> SafeString | str:
        if not contest_public.is_public(obj):
            return "—"
        return format_html('<a href="{}">{}</a>', contest_public.page_url(obj), obj.public_id)

    # actions with a confirmation page

    @admin.action(description=_("Open the selected contests (publishes their commitment)"))
    def open_selected(self, request: HttpRequest, queryset: QuerySet[Contest]) -> Any:
        if request.POST.get("confirmed") == "yes":
            for contest in queryset:
                self._run(request, contest_setup.open_contest, contest, _("%(name)s is open."))
            return None
        context = self._context(
            request,
            _("Open these contests?"),
            contests=list(queryset),
            action="open_selected",
            action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
        )
        return TemplateResponse(request, "admin/parrain/contest/confirm_open.html", context)

    @admin.action(description=_("Draw the selected contest"))
    def draw_selected(self, request: HttpRequest, queryset: QuerySet[Contest]) -> Any:
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one contest to draw."), messages.ERROR)
            return None
        url = reverse("admin:parrain_contest_draw", args=[queryset.get().pk])
        return HttpResponseRedirect(url)

    def _run(self, request: HttpRequest, service: Any, contest: Contest, done: str) -> bool:
        try:
            service(contest, actor=request.user.get_username())
        except ParrainError as error:
            self.message_user(request, f"{contest.name}: {error.message}", messages.ERROR)
            return False
        self.message_user(request, done % {"name": contest.name}, messages.SUCCESS)
        return True

    # pages of one contest

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/open/", view(self.open_view), name="parrain_contest_open"),
            path("<path:object_id>/cancel/", view(self.cancel_view), name="parrain_contest_cancel"),
            path("<path:object_id>/draw/", view(self.draw_view), name="parrain_contest_draw"),
            path(
                "<path:object_id>/entries.csv",
                view(self.entries_view),
                name="parrain_contest_entries",
            ),
            path(
                "<path:object_id>/winners/<int:winner_id>/<str:what>/",
                view(self.winner_action_view),
                name="parrain_contest_winner_action",
            ),
            path(
                "<path:object_id>/winners/", view(self.winners_view), name="parrain_contest_winners"
            ),
            *super().get_urls(),
        ]

    def _contest(self, request: HttpRequest, object_id: str, change: bool = False) -> Contest:
        contest = self.get_object(request, unquote(object_id))
        if contest is None:
            raise Http404
        allowed = (
            self.has_change_permission(request, contest)
            if change
            else self.has_view_or_change_permission(request, contest)
        )
        if not allowed:
            raise PermissionDenied
        return contest

    def _context(self, request: HttpRequest, title: Any, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }

    def _back(self, contest: Contest) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:parrain_contest_change", args=[contest.pk]))

    def open_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contest = self._contest(request, object_id, change=True)
        if request.method == "POST":
            self._run(request, contest_setup.open_contest, contest, _("%(name)s is open."))
            return self._back(contest)
        context = self._context(
            request, _("Open %(name)s?") % {"name": contest.name}, contests=[contest]
        )
        return TemplateResponse(request, "admin/parrain/contest/confirm_open.html", context)

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contest = self._contest(request, object_id, change=True)
        if request.method == "POST":
            self._run(request, contest_setup.cancel_contest, contest, _("%(name)s is cancelled."))
            return self._back(contest)
        context = self._context(
            request, _("Cancel %(name)s?") % {"name": contest.name}, original=contest
        )
        return TemplateResponse(request, "admin/parrain/contest/confirm_cancel.html", context)

    def draw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contest = self._contest(request, object_id, change=True)
        form = DrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            value, actor = form.cleaned_data["public_value"], request.user.get_username()
            try:
                result = contests.draw(contest, value, actor=actor)
            except ParrainError as error:
                form.add_error(
                    "public_value" if error.field == "public_value" else None, error.message
                )
            else:
                done = (
                    _("The draw is done: %(count)s winners.")
                    if result.created
                    else _(
                        "This contest was already drawn; here is its result (%(count)s winners)."
                    )
                )
                self.message_user(request, done % {"count": len(result.winners)}, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:parrain_contest_winners", args=[contest.pk])
                )
        context = self._context(
            request, _("Draw %(name)s") % {"name": contest.name}, original=contest, form=form
        )
        return TemplateResponse(request, "admin/parrain/contest/draw.html", context)

    def entries_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return entries_response(self._contest(request, object_id))

    def winners_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        contest = self._contest(request, object_id)
        rows = (
            ContestWinner.objects.filter(contest=contest)
            .select_related("prize", "entry__contact")
            .order_by("pick")
        )
        winners = [(w, contests.public_winner_name(w)) for w in rows]
        context = self._context(
            request,
            _("Winners of %(name)s") % {"name": contest.name},
            original=contest,
            winners=winners,
            redraw_form=RedrawForm(),
            can_change=self.has_change_permission(request, contest),
            live=(WinnerStatus.DRAWN, WinnerStatus.NOTIFIED),
        )
        return TemplateResponse(request, "admin/parrain/contest/winners.html", context)

    def winner_action_view(
        self, request: HttpRequest, object_id: str, winner_id: int, what: str
    ) -> HttpResponse:
        contest = self._contest(request, object_id, change=True)
        winner = ContestWinner.objects.filter(contest=contest, pk=winner_id).first()
        if winner is None or what not in ("redraw", "delivered") or request.method != "POST":
            raise Http404
        actor = request.user.get_username()
        try:
            if what == "redraw":
                form = RedrawForm(request.POST)
                reason = form.cleaned_data["reason"] if form.is_valid() else ""
                contests.redraw(winner, actor=actor, reason=reason)
                self.message_user(request, _("The prize was drawn again."), messages.SUCCESS)
            else:
                contests.mark_delivered(winner, actor=actor)
                self.message_user(request, _("Marked as delivered."), messages.SUCCESS)
        except ParrainError as error:
            self.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:parrain_contest_winners", args=[contest.pk]))
