"""Messages in the Wagtail admin's Referral menu: every kind × channel × language of a
program (email kinds open the block editor, SMS texts are edited here with a live segment
count), and the contacts' message history.

Saving goes through ``core.services.message_templates`` (checked, audited); a refusal shows
on the form with the line and the reason, and stores nothing. Permissions are Django's on
message templates (view, change) and on scheduled messages (view) for the history.
"""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy

from parrain.core.exports import safe_value_preprocess
from parrain.core.forms.messages import MessageTemplateForm
from parrain.core.messaging import templates, variables
from parrain.core.models import Contact, MessageTemplate, Program, ScheduledMessage
from parrain.core.models.choices import (
    MessageChannel,
    MessageKind,
    MessageRule,
    MessageStatus,
)
from parrain.core.services import message_templates

from .columns import ProgramDateColumn
from .email_views import design_url
from .exports import ExportButtonsMixin
from .models import EMAIL_LANGUAGES
from .permissions import actor
from .scenario_views import chosen_program

TEMPLATES = ModelPermissionPolicy(MessageTemplate)
MESSAGES_URL = "parrain_wagtail:messages"
LANGUAGE_NAMES = dict(EMAIL_LANGUAGES)


def program_languages(program: Program) -> list[str]:
    """The program's languages that have shipped templates."""
    return [code for code in program.languages or ["en"] if code in LANGUAGE_NAMES] or ["en"]


def messages_url(program: Program) -> str:
    return f"{reverse(MESSAGES_URL)}?program={program.pk}"


def sms_url(program: Program, kind: str, language: str) -> str:
    return reverse("parrain_wagtail:sms_template", args=[program.pk, kind, language])


class MessagesView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Each kind of message by channel and language: shipped default or the shop's own."""

    permission_policy = TEMPLATES
    permission_required = "view"
    template_name = "parrain_wagtail/admin/messages.html"
    page_title = _("Messages")
    header_icon = "mail"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        program = chosen_program(self.request)
        context.update(
            program=program,
            programs=Program.objects.order_by("name"),
            languages=[(code, LANGUAGE_NAMES[code]) for code in program_languages(program)]
            if program is not None
            else [],
            rows=self.rows(program) if program is not None else [],
        )
        return context

    def rows(self, program: Program) -> list[dict[str, Any]]:
        own = {
            (row.kind, row.channel, row.language): row
            for row in MessageTemplate.objects.filter(program=program)
        }
        languages = program_languages(program)
        return [
            {
                "kind": kind,
                "channel": channel,
                "cells": [self.cell(program, kind, channel, lang, own) for lang in languages],
            }
            for kind in MessageKind
            for channel in MessageChannel
        ]

    @staticmethod
    def cell(program: Program, kind: str, channel: str, language: str, own: dict) -> dict:
        row = own.get((kind, channel, language))
        if row is None:
            state = _("Default")
        elif row.designed_with == "wagtail":
            state = _("Designed with blocks")
        else:
            state = _("Customised")
        url = (
            design_url(program, kind, language)
            if channel == MessageChannel.EMAIL
            else sms_url(program, kind, language)
        )
        return {"language": language, "state": state, "custom": row is not None, "url": url}


class SmsTemplateView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """One SMS text of a program, with the variables of its kind and the segment count."""

    permission_policy = TEMPLATES
    permission_required = "change"
    template_name = "parrain_wagtail/admin/sms_template.html"
    header_icon = "mobile-alt"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.program = Program.objects.filter(pk=kwargs["program"]).first()
        if self.program is None or kwargs["kind"] not in MessageKind.values:
            raise Http404("no such message")
        if kwargs["language"] not in program_languages(self.program):
            raise Http404("no such language")
        self.kind = MessageKind(kwargs["kind"])
        self.language = kwargs["language"]

    def get_page_title(self) -> str:
        return str(self.kind.label)

    def get_page_subtitle(self) -> str:
        return f"{_('SMS')} · {LANGUAGE_NAMES[self.language]}"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": messages_url(self.program), "label": _("Messages")},
            {"url": "", "label": f"{self.get_page_title()} ({self.get_page_subtitle()})"},
        ]

    def current(self) -> Any:
        return templates.template_for(self.program, self.kind, MessageChannel.SMS, self.language)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form")
        if form is not None:  # the live count (sms_counter.js) counts variables as examples
            examples = variables.example_context(self.program, self.kind, self.language)
            form.fields["text"].widget.attrs.update(
                {
                    "data-parrain-sms-counter": "sms-count",
                    "data-parrain-sms-variables": json.dumps(examples),
                }
            )
        context.update(
            program=self.program,
            kind=self.kind,
            language=self.language,
            is_default=self.current().is_default,
            variables=[
                {"name": name, "variable": variables.VARIABLES[name]}
                for name in variables.KIND_VARIABLES.get(self.kind, ())
            ],
            back_url=messages_url(self.program),
        )
        return context

    def make_form(self, data: Any = None) -> MessageTemplateForm:
        return MessageTemplateForm(
            data,
            program=self.program,
            kind=self.kind,
            channel=MessageChannel.SMS,
            language=self.language,
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=self.make_form()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "reset" in request.POST:
            message_templates.reset_template(
                self.program,
                self.kind,
                MessageChannel.SMS,
                self.language,
                actor=actor(request.user),
            )
            messages.success(request, _("The SMS is back to the shipped text."))
            return HttpResponseRedirect(request.get_full_path())
        form = self.make_form(request.POST)
        if form.is_valid() and form.save(actor=actor(request.user)) is not None:
            messages.success(request, _("The SMS is saved."))
            return HttpResponseRedirect(messages_url(self.program))
        messages.error(request, _("Nothing was saved: please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# The contacts' message history


class HistoryFilterSet(WagtailFilterSet):
    program = django_filters.ModelChoiceFilter(queryset=Program.objects.all(), label=_("Program"))
    email = django_filters.CharFilter(
        field_name="contact__email", lookup_expr="iexact", label=_("Contact's email")
    )
    status = django_filters.ChoiceFilter(choices=MessageStatus.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=MessageKind.choices, label=_("Message"))
    channel = django_filters.ChoiceFilter(choices=MessageChannel.choices, label=_("Channel"))

    class Meta:
        model = ScheduledMessage
        fields = ["program", "email", "status", "kind", "channel"]


def why(message: ScheduledMessage) -> str:
    """The rule that delayed, dropped or failed the message, in words."""
    from parrain.core.models.choices import Audience

    labels = {**dict(MessageRule.choices), **dict(Audience.choices)}
    parts = []
    if message.reason in Audience.values:
        condition = Audience(message.reason).label
        parts.append(str(_("Condition no longer met: %(condition)s") % {"condition": condition}))
    elif message.reason:
        parts.append(str(labels.get(message.reason, message.reason)))
    if message.delayed_by:
        rule = labels.get(message.delayed_by, message.delayed_by)
        parts.append(str(_("delayed: %(rule)s") % {"rule": rule}))
    if message.error:
        parts.append(message.error[:200])
    return " · ".join(parts)


class WhyColumn(Column):
    def get_value(self, instance: ScheduledMessage) -> str:
        return why(instance)


class MessageHistoryView(ExportButtonsMixin, ReportView):
    """Every message scheduled, newest first; ``?contact=<id>`` is one contact's history."""

    page_title = _("Message history")
    header_icon = "history"
    index_url_name = "parrain_wagtail:message_history"
    index_results_url_name = "parrain_wagtail:message_history_results"
    model = ScheduledMessage
    permission_required = "view"
    filterset_class = HistoryFilterSet
    default_ordering = "-due_at"
    columns = [
        ProgramDateColumn("due_at", label=_("Due"), sort_key="due_at"),
        ProgramDateColumn("sent_at", label=_("Sent"), sort_key="sent_at"),
        Column("contact", label=_("Contact"), accessor="contact.email"),
        Column("kind", label=_("Message"), accessor="get_kind_display"),
        Column("channel", label=_("Channel"), accessor="get_channel_display"),
        Column("status", label=_("Status"), accessor="get_status_display"),
        WhyColumn("why", label=_("Why")),
    ]
    list_export = ["due_at", "sent_at", "contact.email", "kind", "channel", "status", "reason"]
    custom_value_preprocess = safe_value_preprocess(ReportView.custom_value_preprocess, ("csv",))
    export_headings = {"contact.email": _("Contact")}

    @cached_property
    def contact(self) -> Contact | None:
        wanted = self.request.GET.get("contact", "")
        return Contact.objects.filter(pk=wanted).first() if wanted.isdigit() else None

    def get_page_subtitle(self) -> str:
        return self.contact.email if self.contact is not None else ""

    def get_base_queryset(self) -> QuerySet[ScheduledMessage]:
        rows = ScheduledMessage.objects.select_related("contact", "program", "step")
        if "contact" in self.request.GET:
            rows = rows.filter(contact=self.contact)
        return rows


def history_url(contact_id: int) -> str:
    return f"{reverse('parrain_wagtail:message_history')}?contact={contact_id}"
