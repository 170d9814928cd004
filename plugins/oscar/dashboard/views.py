"""The dashboard's "Referral" section: figures, referrals, review queue, contacts, settings.

Reads go through the core's stats service and plain querysets; every change goes through a
core service (review) or the program's own forms.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from parrain.core.dashboard import DashboardRangeForm, dashboard_context
from parrain.core.forms.program import ProgramForm
from parrain.core.models import Contact, Program, Referral, ScheduledMessage
from parrain.core.models.choices import ReferralStatus
from parrain.core.privacy_views import download, download_contacts, history_context
from parrain.core.services import review, scenarios
from parrain.core.services.erasure import erase_contact, kept_history
from parrain.core.services.widget_errors import (
    recent_widget_errors,
    refused_lately,
    refused_origins_message,
)

from ..program import shop_program
from .forms import ContactFilterForm, ReferralFilterForm


def actor_of(request: HttpRequest) -> str:
    """Who did it, for the audit log: the dashboard user's id."""
    return f"oscar-dashboard:{request.user.pk}"


def selected_program(request: HttpRequest) -> Program:
    slug = request.GET.get("program", "")
    program = Program.objects.filter(slug=slug).first() if slug else shop_program()
    if program is None:
        raise Http404(_("No referral program yet: create one in the admin."))
    return program


class ProgramMixin:
    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["program"] = self.program
        context["programs"] = Program.objects.order_by("name")
        return context

    @property
    def program(self) -> Program:
        if not hasattr(self, "_program"):
            self._program = selected_program(self.request)
        return self._program

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Every time on the page in the program's time zone (rendered here, not later)."""
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        program = getattr(self, "_program", None)
        if program is not None and hasattr(response, "render") and not response.is_rendered:
            with timezone.override(program.tz()):
                response.render()
        return response


#: Oscar dashboard palette (Bootstrap primary blue, then its warning orange).
OSCAR_COLOURS = ("#007bff", "#fd7e14")


class FiguresView(ProgramMixin, TemplateView):
    """The shared referral dashboard (core/dashboard.py) inside Oscar's dashboard layout."""

    template_name = "parrain_oscar/dashboard/figures.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = DashboardRangeForm(self.request.GET or {}, program=self.program)
        context["form"] = form
        if form.is_valid():
            data = form.cleaned_data
            context.update(
                dashboard_context(self.program, data["start"], data["end"], OSCAR_COLOURS)
            )
        return context


class ReferralListView(ProgramMixin, ListView):
    template_name = "parrain_oscar/dashboard/referral_list.html"
    context_object_name = "referrals"
    paginate_by = 25
    review_only = False

    def get_queryset(self) -> QuerySet[Referral]:
        qs = Referral.objects.filter(program=self.program).select_related(
            "referrer", "referee", "order"
        )
        self.form = ReferralFilterForm(self.request.GET or None)
        if self.review_only:
            qs = qs.filter(status=ReferralStatus.REVIEW)
        if self.form.is_valid():
            if self.form.cleaned_data["status"] and not self.review_only:
                qs = qs.filter(status=self.form.cleaned_data["status"])
            if text := self.form.cleaned_data["q"]:
                qs = qs.filter(
                    Q(referee__email__icontains=text) | Q(referrer__email__icontains=text)
                )
        return qs.order_by("-invited_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = self.form
        context["review_only"] = self.review_only
        return context


class ReviewQueueView(ReferralListView):
    review_only = True


class ReviewActionView(View):
    """Approve or reject a held referral through the core's review service."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        referral = get_object_or_404(Referral, pk=pk)
        actor = actor_of(request)
        action = request.POST.get("action")
        if action not in ("approve", "reject"):
            return HttpResponseBadRequest(_("Unknown action: choose approve or reject."))
        with transaction.atomic():
            if action == "approve":
                review.approve_referral(referral.pk, actor)
                messages.success(request, _("Referral approved."))
            else:
                review.reject_referral(referral.pk, actor)
                messages.success(request, _("Referral rejected."))
        url = reverse("parrain_oscar_dashboard:parrain-review-queue")
        return HttpResponseRedirect(f"{url}?program={referral.program.slug}")


class ContactListView(ProgramMixin, ListView):
    template_name = "parrain_oscar/dashboard/contact_list.html"
    context_object_name = "contacts"
    paginate_by = 25

    def get_queryset(self) -> QuerySet[Contact]:
        self.form = ContactFilterForm(self.request.GET or None)
        return filtered_contacts(self.program, self.form).order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = self.form
        return context


def filtered_contacts(program: Program, form: ContactFilterForm) -> QuerySet[Contact]:
    """The program's contacts the list's filters keep (the list and its export agree)."""
    qs = Contact.objects.filter(program=program)
    if form.is_valid():
        if text := form.cleaned_data["q"]:
            qs = qs.filter(
                Q(email__icontains=text)
                | Q(first_name__icontains=text)
                | Q(last_name__icontains=text)
            )
        if form.cleaned_data["referrers"]:
            qs = qs.exclude(referrer_code=None)
        if form.cleaned_data["customers"]:
            qs = qs.filter(is_customer=True)
    return qs


class ContactListExportView(ProgramMixin, View):
    """The contacts the list shows (same filters) as a CSV file the import reads back."""

    def get(self, request: HttpRequest) -> HttpResponse:
        contacts = filtered_contacts(self.program, ContactFilterForm(request.GET or None))
        return download_contacts(self.program, contacts, actor=actor_of(request))


class ContactDetailView(ProgramMixin, ListView):
    """One contact: who they are, their consents, and every message the program scheduled
    for them (newest first) with its status and the rule that delayed, dropped or failed it."""

    template_name = "parrain_oscar/dashboard/contact_detail.html"
    context_object_name = "history"
    paginate_by = 50

    @property
    def contact(self) -> Contact:
        if not hasattr(self, "_contact"):
            self._contact = get_object_or_404(
                Contact.objects.select_related("program"), pk=self.kwargs["pk"]
            )
            self._program = self._contact.program
        return self._contact

    def get_queryset(self) -> QuerySet[ScheduledMessage]:
        return scenarios.history(self.contact)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        contact = self.contact
        context = super().get_context_data(**kwargs)
        context.update(contact=contact, programs=[], **history_context(contact))
        return context


class ContactExportView(View):
    """The contact's data as a JSON file (right of access); audited with the staff user."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = get_object_or_404(Contact.objects.select_related("program"), pk=pk)
        return download(contact, actor=actor_of(request))


class ContactEraseView(TemplateView):
    """What the erasure removes and what stays, then, on "Yes, erase", the erasure (the
    core's ``erase_contact``, as from the Django and Wagtail admins)."""

    template_name = "parrain_oscar/dashboard/contact_erase.html"

    @cached_property
    def contact(self) -> Contact:
        return get_object_or_404(Contact.objects.select_related("program"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        contact = self.contact
        context.update(
            contact=contact,
            program=contact.program,
            programs=[],
            rows=[(contact, kept_history(contact))],
        )
        return context

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = self.contact
        if erase_contact(contact, actor=actor_of(request)):
            messages.success(request, _("The contact is erased."))
        else:
            messages.info(request, _("The contact was already erased."))
        url = reverse("parrain_oscar_dashboard:parrain-contact-list")
        return HttpResponseRedirect(f"{url}?program={contact.program.slug}")


class ProgramSettingsView(ProgramMixin, TemplateView):
    """Edit the selected program with the core's program editor (``ProgramForm``)."""

    template_name = "parrain_oscar/dashboard/program.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ProgramForm(instance=self.program))
        context["widget_errors"] = recent_widget_errors(self.program)
        from .setup import dashboard_checklist  # setup.py builds on this module

        context["setup"] = dashboard_checklist(self.program)
        if self.request.method == "GET" and (origins := refused_lately(self.program)):
            messages.warning(self.request, refused_origins_message(origins))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProgramForm(request.POST, instance=self.program)
        if not form.is_valid():
            messages.error(request, _("The settings were not saved: see the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        program = form.save(actor=actor_of(request))
        messages.success(request, _("Program settings saved."))
        url = reverse("parrain_oscar_dashboard:parrain-program")
        return HttpResponseRedirect(f"{url}?program={program.slug}")


class ProgramCreateView(TemplateView):
    """A new program, from scratch, with the same editor."""

    template_name = "parrain_oscar/dashboard/program.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ProgramForm())
        context.update(creating=True, programs=Program.objects.order_by("name"))
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ProgramForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The program was not created: see the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        program = form.save(actor=actor_of(request))
        messages.success(request, _("Program “%(name)s” created.") % {"name": program.name})
        url = reverse("parrain_oscar_dashboard:parrain-program")
        return HttpResponseRedirect(f"{url}?program={program.slug}")
