"""Scenarios and messages in the Django admin.

- "Scenario steps" opens the program's scenario as a timeline (steps by trigger, then
  delay, each with its sent / delayed / dropped / failed / waiting counts); steps are added
  and changed through the core ``ScenarioStepForm``, the pressure settings through
  ``ScenarioSettingsForm`` (the forms every admin shares).
- "Message templates" lists every kind × channel × language, customised or default; the
  edit page wraps ``MessageTemplateForm`` with the variables beside it, a live preview
  (a sandboxed iframe), a test send to the staff user, and a reset to the default.
- "Messages" (``ScheduledMessage``) is read-only history, also shown on each contact.

Every change goes through ``services.scenarios`` / ``services.message_templates``.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .exceptions import ParrainError
from .forms.messages import MessageTemplateForm, ScenarioSettingsForm, ScenarioStepForm
from .labels import language_label
from .messaging import templates
from .models import MessageTemplate, Program, ScenarioStep, ScheduledMessage
from .models.choices import MessageChannel, MessageKind, MessageStatus
from .services import message_admin, message_templates, scenarios

STATUS_COLOURS = {
    MessageStatus.PENDING: "#1f6feb",
    MessageStatus.SENT: "#1a7f37",
    MessageStatus.DROPPED: "#6e7781",
    MessageStatus.FAILED: "#cf222e",
}
# The preview is the owner's HTML: shown in a sandboxed frame, without scripts.
PREVIEW_CSP = "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"


class ProgramChoiceForm(forms.Form):
    program = forms.ModelChoiceField(label=_("program"), queryset=Program.objects.order_by("name"))


class TestNumberForm(forms.Form):
    test_to = forms.CharField(
        label=_("phone number for the test"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


def _program_of(request: HttpRequest) -> Program | None:
    """The program named by ``?program=``, or the only one."""
    programs = Program.objects.order_by("pk")
    wanted = request.GET.get("program", "")
    if wanted.isdigit():
        return programs.filter(pk=int(wanted)).first()
    return programs.first() if programs.count() == 1 else None


def _program(program_id: int) -> Program:
    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        raise Http404
    return program


class ProgramPagesMixin:
    """A changelist that is one page per program: asks which program when there are several."""

    program_page: str  # URL name of the per-program page

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_or_change_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        program = _program_of(request)
        if program is not None:
            return HttpResponseRedirect(reverse(self.program_page, args=[program.pk]))
        form = ProgramChoiceForm(request.GET or None)
        context = self._context(request, _("Choose the program"), form=form)
        return TemplateResponse(request, "admin/parrain/messages/choose_program.html", context)

    def _context(self, request: HttpRequest, title: Any, **extra: Any) -> dict[str, Any]:
        site = self.admin_site  # type: ignore[attr-defined]
        opts = self.model._meta  # type: ignore[attr-defined]
        return {**site.each_context(request), "opts": opts, "title": title, **extra}


# The scenario


@admin.register(ScenarioStep)
class ScenarioStepAdmin(ProgramPagesMixin, admin.ModelAdmin):
    program_page = "admin:parrain_scenariostep_scenario"

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "program/<int:program_id>/",
                wrap(self.scenario_view),
                name="parrain_scenariostep_scenario",
            ),
            path(
                "program/<int:program_id>/settings/",
                wrap(self.settings_view),
                name="parrain_scenariostep_settings",
            ),
            *super().get_urls(),
        ]

    def scenario_view(self, request: HttpRequest, program_id: int) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        program = _program(program_id)
        context = self._context(
            request,
            _("Scenario of %(program)s") % {"program": program},
            program=program,
            groups=message_admin.timeline_groups(program),
            can_add=self.has_add_permission(request),
            can_change=self.has_change_permission(request),
            can_change_settings=request.user.has_perm("parrain.change_program"),
        )
        return TemplateResponse(request, "admin/parrain/scenariostep/scenario.html", context)

    def settings_view(self, request: HttpRequest, program_id: int) -> HttpResponse:
        if not request.user.has_perm("parrain.change_program"):
            raise PermissionDenied
        program = _program(program_id)
        data = request.POST if request.method == "POST" else None
        form = ScenarioSettingsForm(data, instance=program)
        if data is not None and form.is_valid():
            form.save(actor=request.user.get_username())
            self.message_user(request, _("The message settings were saved."), messages.SUCCESS)
            return HttpResponseRedirect(reverse(self.program_page, args=[program.pk]))
        title = _("Message pressure settings of %(program)s") % {"program": program}
        context = self._context(request, title, form=form, program=program, media=form.media)
        return TemplateResponse(request, "admin/parrain/scenariostep/settings.html", context)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        if not self.has_add_permission(request):
            raise PermissionDenied
        program = _program_of(request)
        if program is None:
            form = ProgramChoiceForm(request.GET or None)
            context = self._context(request, _("Add a step: choose the program"), form=form)
            return TemplateResponse(request, "admin/parrain/messages/choose_program.html", context)
        return self._form_view(request, program, None)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        step = self.get_object(request, unquote(object_id))
        if step is None:
            raise Http404
        if not self.has_view_or_change_permission(request, step):
            raise PermissionDenied
        return self._form_view(request, step.program, step)

    def _form_view(
        self, request: HttpRequest, program: Program, step: ScenarioStep | None
    ) -> HttpResponse:
        can_save = (
            self.has_change_permission(request, step) if step else self.has_add_permission(request)
        )
        data = request.POST if request.method == "POST" and can_save else None
        form = ScenarioStepForm(data, program=program, instance=step)
        if data is not None and form.is_valid():
            saved = form.save(actor=request.user.get_username())
            if saved is not None:
                self.message_user(
                    request, _("Step “%(step)s” saved.") % {"step": saved}, messages.SUCCESS
                )
                return HttpResponseRedirect(reverse(self.program_page, args=[program.pk]))
        title = _("Change the step") if step else _("Add a step")
        counts = scenarios.step_counts(program).get(step.pk) if step else None
        context = self._context(
            request,
            title,
            form=form,
            program=program,
            original=step,
            can_save=can_save,
            counts=message_admin.counts_dict(counts) if step else None,
            can_delete=step is not None and self.has_delete_permission(request, step),
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/parrain/scenariostep/form.html", context)

    def delete_model(self, request: HttpRequest, obj: ScenarioStep) -> None:
        scenarios.delete_step(obj, actor=request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for step in queryset:
            scenarios.delete_step(step, actor=request.user.get_username())

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> Any:
        program_id = request.POST.get("program") or request.GET.get("program")
        response = super().response_delete(request, obj_display, obj_id)
        if program_id and str(program_id).isdigit():
            return HttpResponseRedirect(reverse(self.program_page, args=[int(program_id)]))
        return response


# The messages' templates


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ProgramPagesMixin, admin.ModelAdmin):
    program_page = "admin:parrain_messagetemplate_program"

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        one = "program/<int:program_id>/<str:kind>/<str:channel>/<str:language>/"
        return [
            path(
                "program/<int:program_id>/",
                wrap(self.program_view),
                name="parrain_messagetemplate_program",
            ),
            path(one, wrap(self.edit_view), name="parrain_messagetemplate_edit"),
            path(
                f"{one}preview/",
                wrap(xframe_options_sameorigin(self.preview_view)),
                name="parrain_messagetemplate_preview",
            ),
            *super().get_urls(),
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a template is reset to the default, on its page

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        return HttpResponseRedirect(reverse("admin:parrain_messagetemplate_changelist"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        row = self.get_object(request, unquote(object_id))
        if row is None:
            raise Http404
        args = [row.program_id, row.kind, row.channel, row.language]
        return HttpResponseRedirect(reverse("admin:parrain_messagetemplate_edit", args=args))

    def program_view(self, request: HttpRequest, program_id: int) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        program = _program(program_id)
        rows = message_admin.template_rows(program)
        context = self._context(
            request,
            _("Messages of %(program)s") % {"program": program},
            program=program,
            rows=rows,
        )
        return TemplateResponse(request, "admin/parrain/messagetemplate/list.html", context)

    def _target(
        self, request: HttpRequest, program_id: int, kind: str, channel: str, language: str
    ) -> Program:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        program = _program(program_id)
        known = kind in MessageKind.values and channel in MessageChannel.values
        if not known or language not in program.languages:
            raise Http404
        return program

    def edit_view(
        self, request: HttpRequest, program_id: int, kind: str, channel: str, language: str
    ) -> HttpResponse:
        program = self._target(request, program_id, kind, channel, language)
        can_save = self.has_change_permission(request) or self.has_add_permission(request)
        if request.method == "POST" and not can_save:
            raise PermissionDenied
        here = reverse(
            "admin:parrain_messagetemplate_edit", args=[program.pk, kind, channel, language]
        )
        if request.method == "POST" and "_reset" in request.POST:
            message_templates.reset_template(
                program, kind, channel, language, actor=request.user.get_username()
            )
            self.message_user(request, _("The default template is back."), messages.SUCCESS)
            return HttpResponseRedirect(here)
        current = templates.template_for(program, kind, channel, language)
        data = request.POST if request.method == "POST" else None
        form = MessageTemplateForm(
            data, program=program, kind=kind, channel=channel, language=language
        )
        number = TestNumberForm(data)
        if channel == MessageChannel.SMS and "text" in form.fields:
            examples = {v["name"]: v["example"] for v in message_admin.variables_of(kind)}
            form.fields["text"].widget.attrs.update(
                {
                    "data-parrain-sms-counter": "sms-count",
                    "data-parrain-sms-variables": json.dumps(examples),
                }
            )
        if data is not None and form.is_valid():
            if "_test" in data:
                self._send_test(request, program, kind, channel, language, form, number)
            elif form.save(actor=request.user.get_username()) is not None:
                self.message_user(request, _("The template was saved."), messages.SUCCESS)
                return HttpResponseRedirect(here)
        saved = MessageTemplate.objects.filter(
            program=program, kind=kind, channel=channel, language=language
        ).first()
        context = self._context(
            request,
            _("%(kind)s — %(channel)s, %(language)s")
            % {
                "kind": MessageKind(kind).label,
                "channel": MessageChannel(channel).label,
                "language": language_label(language),
            },
            program=program,
            form=form,
            number_form=number,
            kind=kind,
            channel=channel,
            language=language,
            is_sms=channel == MessageChannel.SMS,
            saved=saved,
            customised=not current.is_default,
            wagtail=bool(saved and saved.designed_with == "wagtail"),
            variables=message_admin.variables_of(kind),
            preview_url=f"{here}preview/",
            can_save=can_save,
            user_email=request.user.email,
            media=self.media + form.media,
        )
        return TemplateResponse(request, "admin/parrain/messagetemplate/edit.html", context)

    def _send_test(
        self,
        request: HttpRequest,
        program: Program,
        kind: str,
        channel: str,
        language: str,
        form: Any,
        number: TestNumberForm,
    ) -> None:
        raw = request.user.email if channel == MessageChannel.EMAIL else ""
        if channel == MessageChannel.SMS and number.is_valid():
            raw = number.cleaned_data["test_to"]
        if not raw:
            text = (
                _("Give a phone number for the test.")
                if channel == MessageChannel.SMS
                else _("Your account has no email address: add one to receive tests.")
            )
            self.message_user(request, text, messages.ERROR)
            return
        parts = {part: form.cleaned_data.get(part, "") for part in ("subject", "html", "text")}
        try:
            sent = message_admin.send_draft_test(program, kind, channel, language, raw, **parts)
        except message_templates.TemplateRefused as refused:
            for part, line in refused.errors:
                label = form.fields[part].label if part in form.fields else part
                self.message_user(request, f"{label}: {line}", messages.ERROR)
            return
        except ParrainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(
            request, _("A test was sent to %(to)s.") % {"to": sent.to}, messages.SUCCESS
        )

    def preview_view(
        self, request: HttpRequest, program_id: int, kind: str, channel: str, language: str
    ) -> HttpResponse:
        """The draft posted by the edit page (or, on GET, the template in use) with example
        values, shown in the page's sandboxed frame."""
        program = self._target(request, program_id, kind, channel, language)
        source = request.POST if request.method == "POST" else {}
        parts = {part: source.get(part) for part in ("subject", "html", "text")}
        context: dict[str, Any] = {"is_sms": channel == MessageChannel.SMS}
        try:
            composed = message_admin.preview_draft(program, kind, channel, language, **parts)
        except message_templates.TemplateRefused as refused:
            context["problems"] = refused.errors
        except ParrainError as error:
            context["problems"] = [("", error.message)]
        else:
            context["composed"] = composed
            if channel == MessageChannel.SMS:
                context["segments"] = message_admin.segments_of(composed.text)
        response = TemplateResponse(request, "admin/parrain/messagetemplate/preview.html", context)
        response["Content-Security-Policy"] = PREVIEW_CSP
        return response


# What was sent


@admin.register(ScheduledMessage)
class ScheduledMessageAdmin(admin.ModelAdmin):
    """Written by the scenario engine only: viewed, never added, changed or deleted."""

    list_display = (
        "due_at",
        "contact",
        "kind",
        "channel",
        "coloured_status",
        "why",
        "sent_at",
        "step",
        "program",
    )
    list_filter = ("status", "kind", "channel", "step", "program")
    list_select_related = ("program", "contact", "step")
    search_fields = ("contact__email", "to")
    date_hierarchy = "due_at"
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = ("reason_label", "delayed_by_label")
    fieldsets = (
        (None, {"fields": ("program", "contact", "kind", "channel", "step", "to")}),
        (
            _("Status"),
            {
                "fields": (
                    "status",
                    "reason_label",
                    "delayed_by_label",
                    "error",
                    "attempts",
                    "created_at",
                    "due_at",
                    "sent_at",
                )
            },
        ),
        (_("Sent message"), {"fields": ("subject_line", "provider_id")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("status"), ordering="status")
    def coloured_status(self, obj: ScheduledMessage) -> SafeString:
        colour = STATUS_COLOURS.get(MessageStatus(obj.status), "inherit")
        return format_html('<strong style="color:{}">{}</strong>', colour, obj.get_status_display())

    @admin.display(description=_("why"))
    def why(self, obj: ScheduledMessage) -> str:
        return message_admin.why(obj)

    @admin.display(description=_("reason"))
    def reason_label(self, obj: ScheduledMessage) -> str:
        return message_admin.rule_label(obj.reason) or "-"

    @admin.display(description=_("delayed by"))
    def delayed_by_label(self, obj: ScheduledMessage) -> str:
        return message_admin.rule_label(obj.delayed_by) or "-"


HISTORY_ROWS = 20


def contact_history(contact: Any) -> str:
    """A contact's latest messages as a read-only table, with a link to all of them."""
    if contact is None or not contact.pk:
        return "-"
    rows = list(scenarios.history(contact)[:HISTORY_ROWS])
    if not rows:
        return str(_("No message yet."))
    context = {
        "rows": [(m, message_admin.why(m)) for m in rows],
        "all_url": reverse("admin:parrain_scheduledmessage_changelist")
        + f"?contact__id__exact={contact.pk}",
        "more": len(rows) == HISTORY_ROWS,
    }
    return render_to_string("admin/parrain/scheduledmessage/history.html", context)
