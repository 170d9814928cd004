"""Saving the owner's templates (helper: templates).

Contract:
- ``save_template(program, kind, channel, language, *, subject="", html="", text="",
  actor, designed_with="") -> MessageTemplate``: every part checked with ``render.check``;
  a problem raises ``TemplateRefused(problems: dict[part, list[TemplateProblem]])`` (a
  ``Refused`` subclass: 422 in the API, form errors in the admins) and stores nothing.
  Audited ("message_template.saved").
- ``reset_template(program, kind, channel, language, *, actor)``: back to the default.
- ``send_test(program, kind, channel, language, to: str, *, subject, html, text)``: renders
  with example values and sends now (email or SMS), marked "[TEST]"; for the editors.

An empty part of an email template means "the default's" (a shop may change only the
subject); an empty text part is made from the HTML. ``check_parts`` is what the forms run
before saving, so a refusal shows beside its field with the line.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit
from ..exceptions import InvalidInput, TemplateRefused
from ..messaging import mjml, render
from ..messaging.render import RenderError, TemplateProblem
from ..models import MessageTemplate, Program
from ..models.choices import MessageChannel, MessageKind

SUBJECT_LENGTH = 200
TEST_MARK = "[TEST]"


def _arguments(program: Program, kind: str, channel: str, language: str) -> tuple[str, str, str]:
    if kind not in MessageKind.values:
        raise InvalidInput(_("Unknown message kind “%(kind)s”.") % {"kind": kind}, field="kind")
    if channel not in MessageChannel.values:
        raise InvalidInput(
            _("Unknown channel “%(channel)s”.") % {"channel": channel}, field="channel"
        )
    languages = set(program.languages or []) | {program.default_language}
    if language not in languages:
        raise InvalidInput(
            _("The program has no language “%(language)s”.") % {"language": language},
            field="language",
        )
    return str(kind), str(channel), str(language)


def check_parts(
    kind: str, channel: str, *, subject: str = "", html: str = "", text: str = ""
) -> dict[str, list[TemplateProblem]]:
    """Every problem of each part (only the non-empty ones); empty dict: it may be saved."""
    parts = (
        {"text": text}
        if channel == MessageChannel.SMS
        else {
            "subject": subject,
            "html": html,
            "text": text,
        }
    )
    found: dict[str, list[TemplateProblem]] = {}
    for part, source in parts.items():
        if not source:
            continue
        problems = render.check(source, kind=kind, part="sms" if channel == "sms" else part)
        if part == "subject" and len(source) > SUBJECT_LENGTH:
            problems.append(
                TemplateProblem(
                    1, _("A subject is at most %(n)s characters.") % {"n": SUBJECT_LENGTH}
                )
            )
        if part == "html" and not problems:
            problems = _layout_problems(source)
        if problems:
            found[part] = problems
    if channel == MessageChannel.SMS and not text.strip():
        found["text"] = [TemplateProblem(1, _("An SMS needs a text."))]
    return found


def _layout_problems(html: str) -> list[TemplateProblem]:
    """The fragment set in the layout: MJML that mrml cannot read is refused now, not at
    the first send."""
    from ..messaging.templates import _document

    try:
        _document("en", html)
    except mjml.MjmlError as exc:
        return [TemplateProblem(1, _("The MJML cannot be read: %(error)s") % {"error": exc})]
    return []


def _refuse_if_problems(
    program: Program, kind: str, channel: str, language: str, parts: dict[str, str]
) -> None:
    problems = check_parts(kind, channel, **parts)
    if problems:
        raise TemplateRefused(problems)
    # A last trial with example values: what passes the check but fails whole is refused
    # here rather than failing every message.
    from ..messaging.templates import preview

    try:
        preview(program, kind, channel, language, **parts)
    except RenderError as exc:
        raise TemplateRefused(
            {"html" if channel == "email" else "text": [TemplateProblem(1, str(exc))]}
        ) from exc


@transaction.atomic
def save_template(
    program: Program,
    kind: str,
    channel: str,
    language: str,
    *,
    subject: str = "",
    html: str = "",
    text: str = "",
    actor: str,
    designed_with: str = "",
) -> MessageTemplate:
    kind, channel, language = _arguments(program, kind, channel, language)
    if channel == MessageChannel.SMS:
        subject = html = ""
    parts = {"subject": subject.strip(), "html": html.strip(), "text": text.strip()}
    _refuse_if_problems(program, kind, channel, language, parts)
    template, created = MessageTemplate.objects.update_or_create(
        program=program,
        kind=kind,
        channel=channel,
        language=language,
        defaults={**parts, "designed_with": designed_with, "updated_by": actor[:150]},
    )
    _forget(program)
    audit.record(
        program,
        "message_template.saved",
        actor=actor,
        kind=kind,
        channel=channel,
        language=language,
        created=created,
        designed_with=designed_with,
    )
    return template


@transaction.atomic
def reset_template(program: Program, kind: str, channel: str, language: str, *, actor: str) -> bool:
    """Delete the owner's template (the default is used again); False when there was none."""
    kind, channel, language = _arguments(program, kind, channel, language)
    deleted, _rows = MessageTemplate.objects.filter(
        program=program, kind=kind, channel=channel, language=language
    ).delete()
    _forget(program)
    if deleted:
        audit.record(
            program,
            "message_template.reset",
            actor=actor,
            kind=kind,
            channel=channel,
            language=language,
        )
    return bool(deleted)


def send_test(
    program: Program,
    kind: str,
    channel: str,
    language: str,
    to: str,
    *,
    subject: str = "",
    html: str = "",
    text: str = "",
) -> Any:
    """Send the template being edited (empty parts: the current template's) to ``to`` now,
    with example values, marked "[TEST]". Returns the ``Composed`` message sent."""
    from ..messaging.templates import Composed, preview

    kind, channel, language = _arguments(program, kind, channel, language)
    to = _recipient(channel, to)
    parts = {"subject": subject.strip(), "html": html.strip(), "text": text.strip()}
    problems = check_parts(kind, channel, **parts)
    if problems:
        raise TemplateRefused(problems)
    try:
        composed = preview(program, kind, channel, language, **parts, to=to)
    except RenderError as exc:
        part = "html" if channel == MessageChannel.EMAIL else "text"
        raise TemplateRefused({part: [TemplateProblem(1, str(exc))]}) from exc
    if channel == MessageChannel.SMS:
        from ..messaging import sms

        composed = Composed(channel=channel, to=to, subject="", text=f"{TEST_MARK} {composed.text}")
        sms.get_backend().send(to, composed.text)
        return composed
    from ..messaging.email import email_message

    composed = Composed(
        channel=channel,
        to=to,
        subject=f"{TEST_MARK} {composed.subject}",
        text=composed.text,
        html=composed.html,
        headers=composed.headers,
    )
    email_message(composed).send()
    return composed


def _recipient(channel: str, to: str) -> str:
    to = (to or "").strip()
    if channel == MessageChannel.SMS:
        from ..emails import normalize_phone

        try:
            return normalize_phone(to)
        except ValueError:
            raise InvalidInput(_("Enter a valid phone number."), field="to") from None
    try:
        validate_email(to)
    except ValidationError:
        raise InvalidInput(_("Enter a valid email address."), field="to") from None
    return to


def _forget(program: Program) -> None:
    from ..messaging.templates import forget

    transaction.on_commit(lambda: forget(program.pk))
    forget(program.pk)
