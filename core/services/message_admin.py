"""What every admin shows and does around scenarios and templates, once: readable labels of
a message's status and rules, the variables beside an editor, the timeline order, drafts
(a part left out is the one in use) checked before a preview or a test send.

Used by the server API (core/api/server_messages.py) and the Django admin
(core/admin_messages.py); the Oscar and Wagtail screens may use it too.
"""

from __future__ import annotations

import smtplib
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..exceptions import InvalidInput, NotFound, ParrainError, TemplateRefused
from ..labels import actor_label, language_label, reason_label
from ..messaging import render, sms, templates, variables
from ..models import Contact, MessageTemplate, Program, ScenarioStep, ScheduledMessage
from ..models.choices import (
    DelayUnit,
    MessageChannel,
    MessageKind,
)
from . import message_templates, scenarios
from .contacts import find_contact
from .scenarios import StepCounts

EMAIL_PARTS = ("subject", "html", "text")


class DeliveryFailed(ParrainError):
    status = 502
    code = "delivery-failed"


# Labels


def rule_label(value: str) -> str:
    """The readable name of a MessageRule or Audience value (a reason or a delay)."""
    return reason_label(value)


def why(message: ScheduledMessage) -> str:
    """The reason it was dropped or failed, else the rule that delayed it."""
    if message.reason:
        return rule_label(message.reason)
    if message.delayed_by:
        return _("delayed: %(rule)s") % {"rule": rule_label(message.delayed_by)}
    return ""


def counts_dict(counts: StepCounts | None) -> dict[str, int]:
    return asdict(counts or StepCounts())


def variables_of(kind: str) -> list[dict[str, str]]:
    """The variables a kind offers, labelled, for the editors to list beside the template."""
    found = []
    for name in variables.KIND_VARIABLES[MessageKind(kind)]:
        var = variables.VARIABLES[name]
        found.append(
            {
                "name": name,
                "label": str(var.label),
                "help": str(getattr(var, "help", "") or ""),
                "example": str(getattr(var, "example", "") or ""),
            }
        )
    return found


def template_row(
    kind: str, channel: str, language: str, saved: MessageTemplate | None, who: str = ""
) -> dict[str, Any]:
    return {
        "kind": str(kind),
        "kind_label": str(MessageKind(kind).label),
        "channel": str(channel),
        "channel_label": str(MessageChannel(channel).label),
        "language": language,
        "language_label": language_label(language),
        "customised": saved is not None,
        "designed_with": saved.designed_with if saved else "",
        "updated_at": saved.updated_at if saved else None,
        "updated_by": saved.updated_by if saved else "",
        "updated_by_label": who,
    }


def template_rows(program: Program) -> list[dict[str, Any]]:
    """Every kind × channel × language of the program, customised or default; who changed
    each one as a person reads it ("admin", not "wagtail:1")."""
    saved = {(t.kind, t.channel, t.language): t for t in program.message_templates.all()}
    who = {row.updated_by: actor_label(row.updated_by) for row in saved.values()}
    rows = []
    for kind in MessageKind.values:
        for channel in MessageChannel.values:
            for language in program.languages:
                row = saved.get((kind, channel, language))
                label = who[row.updated_by] if row else ""
                rows.append(template_row(kind, channel, language, row, label))
    return rows


def message_dict(message: ScheduledMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "kind_label": str(message.get_kind_display()),
        "channel": message.channel,
        "status": message.status,
        "status_label": str(message.get_status_display()),
        "reason": message.reason,
        "reason_label": rule_label(message.reason),
        "delayed_by": message.delayed_by,
        "delayed_by_label": rule_label(message.delayed_by),
        "error": message.error,
        "step": message.step_id,
        "due_at": message.due_at,
        "sent_at": message.sent_at,
        "created_at": message.created_at,
        "to": message.to,
        "subject_line": message.subject_line,
    }


def segments_of(text: str) -> dict[str, Any]:
    found = sms.segments(text)
    return {
        "encoding": found.encoding,
        "characters": found.characters,
        "segments": found.segments,
    }


def contact_of(program: Program, contact: str, *, by: str) -> Contact:
    if by == "email":
        found = find_contact(program, contact)
    else:
        found = Contact.objects.filter(program=program, external_id=contact).first()
    if found is None or found.is_erased:
        raise NotFound(_("No contact matches in this program."), field="contact")
    return found


# Drafts: preview and test send


def draft(
    kind: str,
    channel: str,
    *,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
) -> dict[str, str]:
    """The parts of a draft, checked like a save (``TemplateRefused`` with each part's
    problems). An empty part is the one in use (an email's text: made from its HTML)."""
    if channel == MessageChannel.SMS:
        parts = {"subject": "", "html": "", "text": (text or "").strip()}
    else:
        parts = {"subject": subject or "", "html": html or "", "text": text or ""}
        parts = {part: value.strip() for part, value in parts.items()}
    if any(parts.values()) and (problems := message_templates.check_parts(kind, channel, **parts)):
        raise TemplateRefused(problems)
    return parts


def preview_draft(
    program: Program, kind: str, channel: str, language: str, **parts: str | None
) -> templates.Composed:
    """The message a draft makes with example values; nothing is saved."""
    checked = draft(kind, channel, **parts)
    try:
        return templates.preview(program, kind, channel, language, **checked)
    except render.RenderError as error:
        raise InvalidInput(
            _("This draft cannot be rendered: %(error)s") % {"error": error}
        ) from None


def send_draft_test(
    program: Program, kind: str, channel: str, language: str, to: str, **parts: str | None
) -> templates.Composed:
    """Send a draft now to ``to``, marked [TEST]; the transport's refusal is a 502."""
    checked = draft(kind, channel, **parts)
    if channel == MessageChannel.SMS and not checked["text"]:  # the SMS in use
        checked["text"] = templates.template_for(program, kind, channel, language).text
    try:
        return message_templates.send_test(program, kind, channel, language, to, **checked)
    except (sms.SmsError, smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(
            _("The message could not be delivered: %(error)s") % {"error": error}
        ) from None


# The scenario as a timeline


def delay_label(step: ScenarioStep) -> str:
    if not step.delay_amount:
        return _("at once")
    amount = step.delay_amount
    units = {
        DelayUnit.MINUTES: ngettext("%(n)s minute", "%(n)s minutes", amount),
        DelayUnit.HOURS: ngettext("%(n)s hour", "%(n)s hours", amount),
        DelayUnit.DAYS: ngettext("%(n)s day", "%(n)s days", amount),
    }
    return _("after %(delay)s") % {"delay": units[DelayUnit(step.delay_unit)] % {"n": amount}}


def audience_labels(step: ScenarioStep) -> list[str]:
    return [rule_label(value) for value in step.audience]


@dataclass(frozen=True)
class TimelineRow:
    step: ScenarioStep
    delay: str
    audience: list[str]
    counts: dict[str, int]


@dataclass(frozen=True)
class TimelineGroup:
    trigger: str
    label: str
    rows: list[TimelineRow]


def timeline_groups(program: Program) -> list[TimelineGroup]:
    """``scenarios.timeline`` with the labels a page shows (delay, conditions)."""
    return [
        TimelineGroup(
            entry.trigger,
            entry.label,
            [
                TimelineRow(s.step, delay_label(s.step), audience_labels(s.step), asdict(s.counts))
                for s in entry.steps
            ],
        )
        for entry in scenarios.timeline(program)
    ]
