"""The drag-and-drop email editor in the Referral menu: email designs as snippets.

A design is edited with Wagtail's own StreamField editor and live preview. Saving it writes
the core template (``email_design.publish``): a refusal of the core (unknown variable,
syntax error, refused construct) comes back on the form with the block and the line, and
nothing is stored. The variables of the design's kind are listed in a side panel, and
"Send a test to me" mails the saved design, with example values, to the editor's address.
"""

from __future__ import annotations

import smtplib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.side_panels import BaseSidePanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views import snippets

from parrain.core.exceptions import InvalidInput, ParrainError, TemplateRefused
from parrain.core.messaging import templates, variables
from parrain.core.models import Program
from parrain.core.models.choices import MessageChannel, MessageKind

from . import email_design
from .columns import LanguageColumn, ProgramDateColumn
from .email_blocks import EmailBlocks, default_blocks
from .models import EMAIL_LANGUAGES, EmailDesign
from .permissions import actor

KEYS = ("program", "kind", "language")


class EmailDesignForm(WagtailAdminModelForm):
    """Checks the design as the core will (``render.check``) and says where it fails."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the design belongs to one template: it does not move
            for name in KEYS:
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        design = EmailDesign(
            program=data.get("program"),
            kind=data.get("kind"),
            language=data.get("language"),
            subject=data.get("subject", ""),
            body=data.get("body"),
        )
        for field, found in email_design.problems(design).items():
            self.add_error(field, ValidationError(found))
        return data

    def add_refusal(self, error: TemplateRefused | InvalidInput) -> None:
        if isinstance(error, InvalidInput):  # a language the program does not have
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message)
            return
        for field, found in email_design.refusal_messages(error).items():
            self.add_error(field, ValidationError(found))


class PublishMixin:
    """After the design is saved (in the view's transaction), write the core template; a
    refusal rolls both back and shows on the form."""

    def save_instance(self) -> EmailDesign:
        design = super().save_instance()  # type: ignore[misc]
        email_design.publish(design, actor=actor(self.request.user))  # type: ignore[attr-defined]
        return design

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except (TemplateRefused, InvalidInput) as error:
            form.add_refusal(error)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()  # type: ignore[attr-defined]
            return self.form_invalid(form)  # type: ignore[attr-defined]


class VariablesSidePanel(BaseSidePanel):
    """The variables the design's kind offers, with their labels, beside the editor."""

    class SidePanelToggle(BaseSidePanel.SidePanelToggle):
        aria_label = _("Toggle variables")
        icon_name = "code"
        has_counter = False

    name = "variables"
    title = _("Variables")
    template_name = "parrain_wagtail/admin/email_variables_panel.html"
    order = 50

    def get_context_data(self, parent_context: dict[str, Any]) -> dict[str, Any]:
        context = super().get_context_data(parent_context)
        context["kinds"] = variable_lists(self.object.kind or None)
        context["example"] = "{{ name }}"
        return context


def variable_lists(kind: str | None) -> list[dict[str, Any]]:
    """The kind's variables; every kind's when none is chosen yet (a new design)."""
    kinds = [MessageKind(kind)] if kind else list(MessageKind)
    return [
        {
            "kind": each,
            "label": each.label,
            "variables": [
                {"name": name, "variable": variables.VARIABLES[name]}
                for name in variables.KIND_VARIABLES.get(each, ())
            ],
        }
        for each in kinds
    ]


class SidePanelsMixin:
    def get_side_panels(self) -> Any:
        panels = super().get_side_panels()  # type: ignore[misc]
        panels.append(VariablesSidePanel(self.form.instance, self.request))  # type: ignore[attr-defined]
        return panels


class EmailDesignCreateView(PublishMixin, SidePanelsMixin, snippets.CreateView):
    """``?program=&kind=&language=`` (the Messages page's links) fill the keys in."""

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        for name in KEYS:
            if value := self.request.GET.get(name):
                initial[name] = value
        kind, language = initial.get("kind"), initial.get("language")
        if kind in MessageKind.values and language in dict(EMAIL_LANGUAGES):
            # the shipped text of its kind, to change rather than to write from nothing
            default = templates.default_for(kind, MessageChannel.EMAIL, language)
            initial.setdefault("subject", default.subject)
            initial["body"] = EmailBlocks().to_python(
                [{"type": name, "value": value} for name, value in default_blocks(kind, language)]
            )
        return initial


class EmailDesignEditView(PublishMixin, SidePanelsMixin, snippets.EditView):
    send_test_url_name = ""

    @property
    def header_more_buttons(self) -> list[Button]:
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Send a test to me"),
                url=reverse(self.send_test_url_name, args=[self.object.pk]),
                icon_name="mail",
                priority=5,
            )
        )
        return buttons


class SendTestView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """The saved design, with example values, to the editor's own address."""

    permission_required = "change"
    template_name = "parrain_wagtail/admin/email_send_test.html"
    header_icon = "mail"
    page_title = _("Send a test to me")
    edit_url_name = ""

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        designs = EmailDesign.objects.select_related("program")
        self.design = get_object_or_404(designs, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(self.design)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            design=self.design,
            to=self.request.user.email,
            edit_url=reverse(self.edit_url_name, args=[self.design.pk]),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        back = HttpResponseRedirect(reverse(self.edit_url_name, args=[self.design.pk]))
        to = request.user.email
        if not to:
            messages.error(request, _("Your account has no email address: add one first."))
            return self.render_to_response(self.get_context_data(), status=400)
        try:
            email_design.send_test(self.design, to)
        except TemplateRefused as error:
            messages.error(request, " ".join(message for _part, message in error.errors))
            return self.render_to_response(self.get_context_data(), status=error.status)
        except ParrainError as error:
            messages.error(request, error.message)
            return self.render_to_response(self.get_context_data(), status=error.status)
        except (smtplib.SMTPException, OSError) as error:
            messages.error(request, _("The test could not be sent: %(error)s") % {"error": error})
            return self.render_to_response(self.get_context_data(), status=502)
        messages.success(request, _("A test was sent to %(to)s.") % {"to": to})
        return back


class EmailDesignViewSet(snippets.SnippetViewSet):
    model = EmailDesign
    icon = "mail"
    menu_label = _("Email designs")
    add_view_class = EmailDesignCreateView
    edit_view_class = EmailDesignEditView
    copy_view_enabled = False
    list_display = [
        "__str__",
        "program",
        Column("kind", label=_("Message"), accessor="get_kind_display"),
        LanguageColumn("language", label=_("Language"), sort_key="language"),
        ProgramDateColumn("updated_at", label=_("Updated"), sort_key="updated_at"),
    ]
    list_filter = ["program", "kind", "language"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("program"), FieldPanel("kind"), FieldPanel("language")]),
            FieldPanel("subject"),
            FieldPanel("body"),
        ],
        base_form_class=EmailDesignForm,
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        return EmailDesign.objects.select_related("program")

    def get_edit_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_edit_view_kwargs(
            send_test_url_name=self.get_url_name("send_test"), **kwargs
        )

    def get_urlpatterns(self) -> list[URLPattern]:
        view = SendTestView.as_view(
            permission_policy=self.permission_policy, edit_url_name=self.get_url_name("edit")
        )
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/send-test/", view, name="send_test"),
        ]


def design_url(program: Program, kind: str, language: str) -> str:
    """The design of a template: its editor when it exists, else a new one for it."""
    design = EmailDesign.objects.filter(program=program, kind=kind, language=language).first()
    if design is not None:
        return reverse("wagtailsnippets_parrain_wagtail_emaildesign:edit", args=[design.pk])
    add = reverse("wagtailsnippets_parrain_wagtail_emaildesign:add")
    return f"{add}?program={program.pk}&kind={kind}&language={language}"
