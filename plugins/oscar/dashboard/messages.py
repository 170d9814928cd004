"""The dashboard's messages: every kind, channel and language with its state (the shop's own
version or the shipped default), and the editor of one: subject / HTML / text (or the SMS
text with its segment count), the variables it may use listed beside, a preview in a
sandboxed frame, a test sent to the staff member, and a reset to the default.

Templates are checked and saved by ``core.services.message_templates`` (a template with an
unknown variable or a syntax error is refused with its line, and nothing is stored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from parrain.core.conf import parrain_settings
from parrain.core.emails import normalize_phone
from parrain.core.exceptions import ParrainError, TemplateRefused
from parrain.core.forms.messages import MessageTemplateForm
from parrain.core.messaging import render as template_render
from parrain.core.messaging import sms, templates, variables
from parrain.core.models import MessageTemplate, Program
from parrain.core.models.choices import MessageChannel, MessageKind
from parrain.core.services import message_templates

from .views import ProgramMixin, actor_of

#: The languages a template exists in (the shipped defaults are French and English).
TEMPLATE_LANGUAGES = ("fr", "en")
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

#: Shown in place of an owner's HTML while previewing: no script, no request but images.
PREVIEW_POLICY = "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"


def program_languages(program: Program) -> list[str]:
    return [lang for lang in program.languages or [] if lang in TEMPLATE_LANGUAGES] or ["en"]


@dataclass(frozen=True)
class TemplateRow:
    kind: str
    kind_label: str
    channel: str
    channel_label: str
    language: str
    row: MessageTemplate | None

    @property
    def is_default(self) -> bool:
        return self.row is None

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)


def template_rows(program: Program) -> list[TemplateRow]:
    """Every kind × channel × language, with the shop's row when it has one."""
    rows = {
        (t.kind, t.channel, t.language): t for t in MessageTemplate.objects.filter(program=program)
    }
    return [
        TemplateRow(
            kind,
            str(kind_label),
            channel,
            str(channel_label),
            lang,
            rows.get((kind, channel, lang)),
        )
        for kind, kind_label in MessageKind.choices
        for channel, channel_label in MessageChannel.choices
        for lang in program_languages(program)
    ]


class MessageListView(ProgramMixin, TemplateView):
    template_name = "parrain_oscar/dashboard/message_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = template_rows(self.program)
        return context


class TemplateMixin(ProgramMixin):
    """One kind, channel and language of the selected program (404 for anything else)."""

    kwargs: dict[str, Any]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            kwargs["kind"] not in MessageKind.values
            or kwargs["channel"] not in MessageChannel.values
            or kwargs["language"] not in TEMPLATE_LANGUAGES
        ):
            raise Http404(_("No such message."))
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kwargs["kind"], self.kwargs["channel"], self.kwargs["language"]

    @property
    def is_sms(self) -> bool:
        return self.kwargs["channel"] == MessageChannel.SMS

    def url(self, name: str) -> str:
        kind, channel, language = self.key
        path = reverse(f"parrain_oscar_dashboard:{name}", args=[kind, channel, language])
        return f"{path}?program={self.program.slug}"

    def parts(self, data: Any) -> dict[str, str]:
        """What the form holds (posted), or the template in force."""
        if data is not None:
            return {name: data.get(name, "") for name in ("subject", "html", "text")}
        resolved = templates.template_for(self.program, *self.key)
        return {"subject": resolved.subject, "html": resolved.html, "text": resolved.text}


class TemplateEditView(TemplateMixin, TemplateView):
    """GET: the editor. POST ``action``: ``save``, ``test`` (to the staff member's address,
    or the number typed for an SMS) or ``reset``."""

    template_name = "parrain_oscar/dashboard/message_form.html"

    def form(self, data: Any = None) -> MessageTemplateForm:
        kind, channel, language = self.key
        form = MessageTemplateForm(
            data, program=self.program, kind=kind, channel=channel, language=language
        )
        if self.is_sms and "text" in form.fields:
            # core/static/parrain/sms_counter.js: the live segment count under the text.
            examples = variables.example_context(self.program, kind, language)
            form.fields["text"].widget.attrs.update(
                {
                    "data-parrain-sms-counter": "parrain-sms-segments",
                    "data-parrain-sms-variables": json.dumps(examples, default=str),
                }
            )
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        kind, channel, language = self.key
        form = context.setdefault("form", self.form())
        row = MessageTemplate.objects.filter(
            program=self.program, kind=kind, channel=channel, language=language
        ).first()
        text = form["text"].value() or ""
        context.update(
            kind=kind,
            kind_label=MessageKind(kind).label,
            channel=channel,
            channel_label=MessageChannel(channel).label,
            language=language,
            language_name=LANGUAGE_NAMES[language],
            row=row,
            is_sms=self.is_sms,
            segments=sms.segments(text) if self.is_sms else None,
            variables=form.variables,
            preview_url=self.url("parrain-message-preview"),
            list_url=reverse("parrain_oscar_dashboard:parrain-message-list")
            + f"?program={self.program.slug}",
            test_to=self.request.user.email,
            can_change=self.request.user.has_perm("parrain.change_messagetemplate"),
        )
        context.setdefault("test_phone", "")
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm("parrain.change_messagetemplate"):
            return HttpResponse(_("You may not change the messages."), status=403)
        action = request.POST.get("action")
        if action == "reset":
            return self.reset()
        form = self.form(request.POST)
        if not form.is_valid():
            messages.error(request, _("The message was not saved: see the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if action == "test":
            return self.send_test(form)
        if form.save(actor=actor_of(request)) is None:  # refused by the service
            messages.error(request, _("The message was not saved: see the errors below."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("Message saved: it is used from the next sending on."))
        return HttpResponseRedirect(self.url("parrain-message-edit"))

    def reset(self) -> HttpResponse:
        message_templates.reset_template(self.program, *self.key, actor=actor_of(self.request))
        messages.success(self.request, _("Message reset to the default text."))
        return HttpResponseRedirect(self.url("parrain-message-edit"))

    def send_test(self, form: MessageTemplateForm) -> HttpResponse:
        to = self.test_recipient()
        if to is None:
            return self.render_to_response(
                self.get_context_data(form=form, test_phone=self.request.POST.get("test_phone")),
                status=400,
            )
        parts = {name: form.cleaned_data.get(name, "") for name in ("subject", "html", "text")}
        try:
            message_templates.send_test(self.program, *self.key, to, **parts)
        except TemplateRefused as refused:
            for part, message in refused.errors:
                form.add_error(part if part in form.fields else None, message)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        except (ParrainError, sms.SmsError, OSError) as error:
            reason = getattr(error, "message", None) or str(error)
            messages.error(self.request, _("The test was not sent: %(error)s") % {"error": reason})
            return self.render_to_response(self.get_context_data(form=form), status=502)
        messages.success(self.request, _("Test sent to %(to)s.") % {"to": to})
        return self.render_to_response(self.get_context_data(form=form))

    def test_recipient(self) -> str | None:
        """The staff member's address, or the number typed for an SMS (E.164); None, with
        the reason shown, when there is none."""
        if not self.is_sms:
            if not self.request.user.email:
                messages.error(self.request, _("Your account has no email address to send to."))
                return None
            return self.request.user.email
        try:
            return normalize_phone(
                self.request.POST.get("test_phone", ""), parrain_settings.PHONE_REGION
            )
        except ValueError:
            messages.error(
                self.request,
                _("Type a valid mobile number for the test, e.g. +33 6 12 34 56 78."),
            )
            return None


class TemplatePreviewView(TemplateMixin, TemplateView):
    """The message as it would be sent, with example values: GET for the template in
    force, POST for what the editor holds. Served for a sandboxed frame (no script)."""

    template_name = "parrain_oscar/dashboard/message_preview.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.preview(self.parts(None))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.preview(self.parts(request.POST))

    def preview(self, parts: dict[str, str]) -> HttpResponse:
        try:
            composed = templates.preview(self.program, *self.key, **parts)
        except template_render.RenderError as error:
            response = render(self.request, self.template_name, {"error": str(error)}, status=400)
        else:
            if composed.html:
                response = HttpResponse(composed.html)
            else:
                context = {"composed": composed, "segments": sms.segments(composed.text)}
                response = render(self.request, self.template_name, context)
        response["Content-Security-Policy"] = PREVIEW_POLICY
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response
