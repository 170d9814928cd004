"""Boosted offers in the Django admin: the list by status, and one page per boost that
wraps ``core.forms.boost.BoostForm`` (the form every admin shares) with, once the boost has
started, its figures against as long a stretch before it.

Every save and delete goes through ``core.services.boosts`` (checked again, audited).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidInput
from .forms.boost import BoostForm
from .models import Boost, Program
from .services import boosts
from .services.offers import describe, terms_from_rule

STATUS_COLOURS = {"scheduled": "#1f6feb", "running": "#1a7f37", "ended": "#6e7781"}
STATUS_NAMES = {"scheduled": _("scheduled"), "running": _("running"), "ended": _("ended")}
LOCAL = "%Y-%m-%d %H:%M"


class BoostStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(STATUS_NAMES.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Boost]) -> QuerySet[Boost]:
        now = timezone.now()
        match self.value():
            case "scheduled":
                return queryset.filter(starts_at__gt=now)
            case "running":
                return queryset.filter(starts_at__lte=now, ends_at__gt=now)
            case "ended":
                return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(Boost)
class BoostAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "status", "starts", "ends", "reward")
    list_filter = (BoostStatusFilter, "program")
    list_select_related = ("program", "referrer_rule")
    search_fields = ("name",)

    @admin.display(description=_("status"))
    def status(self, obj: Boost) -> SafeString:
        state = boosts.status(obj)
        return format_html(
            '<strong style="color:{}">{}</strong>', STATUS_COLOURS[state], STATUS_NAMES[state]
        )

    @admin.display(description=_("starts"), ordering="starts_at")
    def starts(self, obj: Boost) -> str:
        return timezone.localtime(obj.starts_at, obj.program.tz()).strftime(LOCAL)

    @admin.display(description=_("ends"), ordering="ends_at")
    def ends(self, obj: Boost) -> str:
        zone = obj.program.tz()
        return f"{timezone.localtime(obj.ends_at, zone).strftime(LOCAL)} ({obj.program.time_zone})"

    @admin.display(description=_("referrer reward"))
    def reward(self, obj: Boost) -> str:
        return describe(terms_from_rule(obj.referrer_rule), obj.program.default_language)

    # One page per boost, around the shared form

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if not self.has_add_permission(request):
            raise PermissionDenied
        programs = Program.objects.order_by("name")
        chosen = request.GET.get("program", "")
        program = programs.filter(pk=chosen).first() if chosen.isdigit() else None
        if program is None and programs.count() == 1:
            program = programs.first()
        if program is None:
            context = {**self._context(request, _("Add a boosted offer")), "programs": programs}
            return TemplateResponse(request, "admin/parrain/boost/choose_program.html", context)
        return self._form_view(request, program, None)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        boost = self.get_object(request, unquote(object_id))
        if boost is None:
            raise Http404
        if not self.has_view_or_change_permission(request, boost):
            raise PermissionDenied
        if request.method == "POST" and not self.has_change_permission(request, boost):
            raise PermissionDenied
        return self._form_view(request, boost.program, boost)

    def _form_view(self, request: HttpRequest, program: Program, boost: Boost | None) -> Any:
        data = request.POST if request.method == "POST" else None
        form = BoostForm(data, program=program, instance=boost)
        if data is not None and (saved := form.save(actor=request.user.get_username())):
            self.message_user(request, _("Boost “%(name)s” saved.") % {"name": saved.name})
            return HttpResponseRedirect(reverse("admin:parrain_boost_changelist"))
        title = _("Change the boosted offer") if boost else _("Add a boosted offer")
        context = {
            **self._context(request, title),
            "form": form,
            "program": program,
            "original": boost,
            "state": boosts.status(boost) if boost else "",
            "comparison": boosts.comparison(boost) if boost and boost.has_started() else None,
            "can_delete": boost is not None
            and not boost.has_started()
            and self.has_delete_permission(request, boost),
        }
        return TemplateResponse(request, "admin/parrain/boost/form.html", context)

    def _context(self, request: HttpRequest, title: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}

    def delete_model(self, request: HttpRequest, obj: Boost) -> None:
        boosts.delete_boost(obj, actor=request.user.get_username())

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        try:
            return super().delete_view(request, object_id, extra_context)
        except InvalidInput as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:parrain_boost_change", args=[object_id]))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Boost]) -> None:
        for boost in queryset:
            try:
                boosts.delete_boost(boost, actor=request.user.get_username())
            except InvalidInput as error:
                self.message_user(request, f"{boost.name}: {error.message}", messages.ERROR)
