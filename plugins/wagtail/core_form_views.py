"""Create and edit views of the Wagtail admin around the core's own forms (``core/forms``).

Boosts and contests are set up with one form layer shared by every admin; these views only
wrap it in Wagtail's layout (header, breadcrumbs, fields, footer). The form's fields depend
on the program (its languages, time zone and badges), so a new object starts by choosing
the program when there are several. A refusal shows on the form with a 400 status and
nothing stored.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from parrain.core.forms.program import ProgramForm
from parrain.core.models import Program

from .permissions import actor


class CoreFormView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Subclasses say how to build the core form (``make_form``) and save it (``save``)."""

    model: Any = None
    permission_required = "add"
    index_url_name: str | None = None
    add_url_name: str | None = None
    edit_url_name: str | None = None
    inspect_url_name: str | None = None
    header_icon = ""
    template_name = "parrain_wagtail/admin/core_form.html"
    object: Any = None

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        if "pk" in kwargs:
            self.object = get_object_or_404(self.model, pk=kwargs["pk"])

    # to override

    def make_form(self, program: Program, data: Any = None) -> forms.Form:
        raise NotImplementedError

    def save(self, form: Any) -> Any:
        """The saved object, or None when the service refused (its reason on the form)."""
        return form.save(actor=actor(self.request.user))

    def success_url(self, saved: Any) -> str:
        return reverse(self.inspect_url_name, args=[saved.pk])

    # the program

    def get_program(self) -> Program | None:
        if self.object is not None:
            return self.object.program
        wanted = self.request.GET.get("program", "")
        if wanted.isdigit():
            return get_object_or_404(Program, pk=wanted)
        programs = list(Program.objects.order_by("name")[:2])
        return programs[0] if len(programs) == 1 else None

    # the page

    def get_page_title(self) -> str:
        if self.object is not None:
            return str(self.object)
        return str(_("New: %(model)s") % {"model": self.model._meta.verbose_name})

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(self.model._meta.verbose_name_plural),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def action_url(self) -> str:
        if self.object is not None:
            return reverse(self.edit_url_name, args=[self.object.pk])
        return self.request.get_full_path()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form")
        context.update(
            action_url=self.action_url(),
            submit_button_label=_("Save"),
            media=form.media if form is not None else forms.Media(),
        )
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        program = self.get_program()
        if program is None:
            choices = Program.objects.order_by("name")
            return self.render_to_response(self.get_context_data(programs=choices))
        return self.render_to_response(self.get_context_data(form=self.make_form(program)))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        program = self.get_program()
        if program is None:
            raise Http404("choose the program first")
        form = self.make_form(program, request.POST)
        saved = None
        if form.is_valid():
            with transaction.atomic():
                saved = self.save(form)
        if saved is None:
            messages.error(request, _("Nothing was saved: please correct the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(
            request,
            _("“%(object)s” saved.") % {"object": saved},
        )
        return HttpResponseRedirect(self.success_url(saved))


class ProgramFormView(CoreFormView):
    """A new program, or a program's settings, with the core's program editor
    (``core/forms/program.py``): widget settings and the two offers included."""

    model = Program
    template_name = "parrain_wagtail/admin/program_form.html"

    def get_program(self) -> Program:
        return self.object if self.object is not None else Program()

    def make_form(self, program: Program, data: Any = None) -> ProgramForm:
        return ProgramForm(data, instance=self.object)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(object=self.object, **kwargs)


class ProgramEditView(ProgramFormView):
    permission_required = "change"
