"""The dashboard's boosted offers: running, scheduled and ended boosts, the core's
``BoostForm`` in Oscar's layout, deletion before the start, and the window's figures
against the same length before it.

Every change goes through ``core.services.boosts`` (checked, audited); the form is the one
every admin wraps.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, TemplateView

from parrain.core.exceptions import ParrainError
from parrain.core.forms.boost import BoostForm
from parrain.core.models import Boost
from parrain.core.services import boosts

from .views import ProgramMixin, actor_of

#: The figures compared, in the order shown.
COMPARED = (
    ("invitations", gettext_lazy("Invitations")),
    ("conversions", gettext_lazy("Conversions")),
    ("conversion_rate", gettext_lazy("Conversion rate")),
    ("referred_revenue", gettext_lazy("Referred revenue")),
)


def boost_url(name: str, boost: Boost | None = None) -> str:
    kwargs = {"pk": boost.pk} if boost is not None else {}
    return reverse(f"parrain_oscar_dashboard:{name}", kwargs=kwargs)


class BoostListView(ProgramMixin, ListView):
    """The running boost and the scheduled ones in full, the ended ones page by page."""

    template_name = "parrain_oscar/dashboard/boost_list.html"
    context_object_name = "ended"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Boost]:
        return self._boosts().filter(ends_at__lte=self.now).order_by("-ends_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            running=self._boosts().filter(starts_at__lte=self.now, ends_at__gt=self.now),
            scheduled=self._boosts().filter(starts_at__gt=self.now).order_by("starts_at"),
            now=self.now,
        )
        return context

    def _boosts(self) -> QuerySet[Boost]:
        return Boost.objects.filter(program=self.program).select_related(
            "referrer_rule", "referee_rule", "contest"
        )

    @property
    def now(self) -> Any:
        if not hasattr(self, "_now"):
            self._now = timezone.now()
        return self._now


class BoostMixin(ProgramMixin):
    """A view of one boost (``pk`` in the URL): the boost decides the program."""

    kwargs: dict[str, Any]

    @property
    def boost(self) -> Boost:
        if not hasattr(self, "_boost"):
            self._boost = get_object_or_404(
                Boost.objects.select_related("program", "referrer_rule", "referee_rule"),
                pk=self.kwargs["pk"],
            )
            self._program = self._boost.program
        return self._boost

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        boost = self.boost
        context = super().get_context_data(**kwargs)
        context.update(boost=boost, programs=[], now=timezone.now())
        return context


class BoostFormView(ProgramMixin, TemplateView):
    """Create a boost (no ``pk``) or edit one: the core's form, saved by the core's service."""

    template_name = "parrain_oscar/dashboard/boost_form.html"
    http_method_names = ["get", "post"]

    def get_instance(self) -> Boost | None:
        return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        instance = self.get_instance()
        context.setdefault("form", BoostForm(program=self.program, instance=instance))
        context.update(boost=instance)
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        form = BoostForm(request.POST, program=self.program, instance=instance)
        boost = form.save(actor=actor_of(request)) if form.is_valid() else None
        if boost is None:
            messages.error(request, _("The boosted offer was not saved: see the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Boosted offer “%(name)s” saved.") % {"name": boost.name})
        return HttpResponseRedirect(boost_url("parrain-boost-detail", boost))


class BoostUpdateView(BoostMixin, BoostFormView):
    def get_instance(self) -> Boost | None:
        return self.boost


class BoostDeleteView(BoostMixin, TemplateView):
    """GET asks for confirmation; POST deletes a boost that has not started."""

    template_name = "parrain_oscar/dashboard/boost_delete.html"

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        boost = self.boost
        try:
            boosts.delete_boost(boost, actor=actor_of(request))
        except ParrainError as error:
            messages.error(request, error.message)
            return self.render_to_response(self.get_context_data(), status=409)
        messages.success(request, _("Boosted offer “%(name)s” deleted.") % {"name": boost.name})
        url = boost_url("parrain-boost-list")
        return HttpResponseRedirect(f"{url}?program={boost.program.slug}")


class BoostDetailView(BoostMixin, TemplateView):
    """The boost's terms and its window against the same length just before it."""

    template_name = "parrain_oscar/dashboard/boost_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        boost = self.boost
        context["comparison"] = comparison_table(boost) if boost.has_started() else None
        return context


def shown(name: str, value: Any, currency: str) -> str:
    if value is None:
        return "–"
    if name == "conversion_rate":
        return f"{number_format(Decimal(value) * 100, 1)} %"
    if name == "referred_revenue":
        return f"{number_format(value, 2)} {currency}"
    return number_format(value)


def change(before: Any, during: Any) -> str:
    """The relative change ("+25 %"), "" when there is nothing to compare with."""
    if not before or during is None:
        return ""
    ratio = (Decimal(during) - Decimal(before)) / Decimal(before) * 100
    return f"{'+' if ratio >= 0 else ''}{number_format(ratio, 0)} %"


def comparison_table(boost: Boost) -> dict[str, Any]:
    """``boosts.comparison`` with one row per figure, formatted for the page."""
    data = boosts.comparison(boost)
    currency = boost.program.currency
    rows = [
        {
            "name": name,
            "label": label,
            "before": shown(name, data["before"].get(name), currency),
            "boost": shown(name, data["boost"].get(name), currency),
            "change": change(data["before"].get(name), data["boost"].get(name)),
        }
        for name, label in COMPARED
    ]
    return {**data, "rows": rows}
