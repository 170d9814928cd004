"""The dashboard's badges: the program's badges with their holders, and manual award/revoke.

Badges are created and edited in the Django admin or Wagtail (linked from the list); here
staff read who holds what and award or take back a badge by hand, through the core's
badge service (which audits it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView

from parrain.core.exceptions import ParrainError
from parrain.core.models import Badge, BadgeHolding, Program
from parrain.core.services import badges, stats

from .charts import holders_chart
from .forms import BadgeHolderForm, DateRangeForm
from .views import ProgramMixin, actor_of

#: Ranges longer than this are drawn week by week.
DAILY_UP_TO = 92


def date_range(request: HttpRequest) -> tuple[DateRangeForm, date | None, date | None]:
    """The range the GET asks for (the last 30 days by default); ``None`` when invalid."""
    form = DateRangeForm(request.GET or {})
    if not form.is_valid():
        return form, None, None
    return form, form.cleaned_data["start"], form.cleaned_data["end"]


def holders_over_time(
    request: HttpRequest, program: Program, badge: Badge | None = None
) -> dict[str, Any]:
    form, start, end = date_range(request)
    if start is None or end is None:
        return {"range_form": form}
    interval = "day" if (end - start).days < DAILY_UP_TO else "week"
    over_time = stats.badge_holders_over_time(program, start, end, interval)
    if badge is not None:
        lines = [line for line in over_time.badges if line.badge_id == badge.pk]
        over_time = over_time.model_copy(update={"badges": lines})
    title = _("Holders per badge") if badge is None else _("Holders")
    return {"range_form": form, "chart": holders_chart(title, over_time), "over_time": over_time}


def admin_url(request: HttpRequest, name: str, *args: Any) -> str:
    """The Django admin page ``name`` when this user may change badges there, else ""."""
    if not request.user.has_perm("parrain.change_badge"):
        return ""
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:  # no Django admin, or badges not registered in it
        return ""


class BadgeListView(ProgramMixin, TemplateView):
    template_name = "parrain_oscar/dashboard/badge_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        live = Q(holdings__lost_at__isnull=True)
        context.update(
            badges=Badge.objects.filter(program=self.program)
            .annotate(holders=Count("holdings", filter=live))
            .order_by("rank", "pk"),
            admin_url=admin_url(self.request, "parrain_badge_changelist"),
            **holders_over_time(self.request, self.program),
        )
        return context


class BadgeDetailView(ProgramMixin, ListView):
    """A badge, its current holders (newest first) and the award/revoke form."""

    template_name = "parrain_oscar/dashboard/badge_detail.html"
    context_object_name = "holdings"
    paginate_by = 25

    @property
    def badge(self) -> Badge:
        if not hasattr(self, "_badge"):
            self._badge = get_object_or_404(
                Badge.objects.select_related("program"), pk=self.kwargs["pk"]
            )
            self._program = self._badge.program
        return self._badge

    def get_queryset(self) -> QuerySet[BadgeHolding]:
        return (
            BadgeHolding.objects.filter(badge=self.badge, lost_at__isnull=True)
            .select_related("contact")
            .order_by("-awarded_at", "-pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        badge = self.badge
        context = super().get_context_data(**kwargs)
        initial = {k: v for k, v in self.request.GET.items() if k in ("action", "email")}
        context.setdefault("form", BadgeHolderForm(badge, initial=initial))
        context.update(
            badge=badge,
            programs=[],  # the badge decides the program: no program switcher here
            conditions=list(badge.conditions.select_related("required_badge")),
            admin_url=admin_url(self.request, "parrain_badge_change", badge.pk),
            **holders_over_time(self.request, badge.program, badge),
        )
        return context


class BadgeHolderChangeView(BadgeDetailView):
    """POST only: award or take back the badge by hand, with a required reason."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = BadgeHolderForm(self.badge, request.POST)
        if form.is_valid() and self._apply(form):
            url = reverse("parrain_oscar_dashboard:parrain-badge-detail", args=[self.badge.pk])
            return HttpResponseRedirect(url)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def _apply(self, form: BadgeHolderForm) -> bool:
        data = form.cleaned_data
        contact, reason = data["contact"], data["reason"]
        actor = actor_of(self.request)
        try:
            if data["action"] == BadgeHolderForm.AWARD:
                badges.award(self.badge, contact, actor=actor, reason=reason)
                done = _("%(badge)s awarded to %(email)s.")
            else:
                badges.revoke(self.badge, contact, actor=actor, reason=reason)
                done = _("%(badge)s taken back from %(email)s.")
        except ParrainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return False
        messages.success(self.request, done % {"badge": self.badge, "email": contact.email})
        return True
