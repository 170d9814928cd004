"""From an email design (blocks) to the core's template, its preview and its test send.

The design is the editor's; the core keeps the message it sends: saving a design writes
the program's ``MessageTemplate`` through ``message_templates.save_template`` (checked
there, audited, ``designed_with="wagtail"``) with the blocks' MJML sections as its ``html``
(the core sets them in the program's layout and turns the whole into inlined HTML) and the
text part left empty, for the core to make from the HTML.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from parrain.core.exceptions import TemplateRefused, line_message
from parrain.core.messaging import mjml, render, templates
from parrain.core.models.choices import MessageChannel
from parrain.core.services import message_templates

from .email_blocks import body_mjml

EMAIL = MessageChannel.EMAIL
DESIGNED_WITH = "wagtail"


def design_mjml(design: Any) -> str:
    """The blocks' MJML sections, worded in the design's language."""
    with translation.override(design.language):
        return body_mjml(design.body)


def problems(design: Any) -> dict[str, list[str]]:
    """What ``render.check`` refuses, by form field: the subject's lines, and the body's
    per block and field ("Block 2 (Text), text: Line 1: …") so the editor finds them."""
    found: dict[str, list[str]] = {}
    for problem in render.check(design.subject, kind=design.kind, part="subject"):
        found.setdefault("subject", []).append(line_message(problem))
    for number, child in enumerate(design.body, start=1):
        for label, source in child.block.sources(child.value):
            for problem in render.check(source, kind=design.kind, part="html"):
                where = _("Block %(number)s (%(block)s), %(field)s") % {
                    "number": number,
                    "block": child.block.label,
                    "field": label,
                }
                found.setdefault("body", []).append(f"{where}: {line_message(problem)}")
    return found


def refusal_messages(error: TemplateRefused) -> dict[str, list[str]]:
    """A refusal of the core, by form field (its HTML is the blocks)."""
    found: dict[str, list[str]] = {}
    for part, message in error.errors:
        found.setdefault("subject" if part == "subject" else "body", []).append(message)
    return found


def publish(design: Any, *, actor: str) -> Any:
    """Write the core's template from the design; raises ``TemplateRefused``."""
    return message_templates.save_template(
        design.program,
        design.kind,
        EMAIL,
        design.language,
        subject=design.subject,
        html=design_mjml(design),
        text="",
        actor=actor,
        designed_with=DESIGNED_WITH,
    )


def preview(design: Any) -> templates.Composed:
    """The email as a contact would get it, with example values; raises ``RenderError``."""
    return templates.preview(
        design.program,
        design.kind,
        EMAIL,
        design.language,
        subject=design.subject,
        html=design_mjml(design),
        text="",
    )


def preview_response(design: Any, mode: str) -> HttpResponse:
    """Wagtail's live preview: the email's HTML, or its text part."""
    try:
        composed = preview(design)
    except (render.RenderError, mjml.MjmlError) as error:
        return HttpResponse(problem_page(str(error)))
    if mode == "text":
        return HttpResponse(text_page(composed))
    return HttpResponse(composed.html)


def problem_page(reason: str) -> str:
    title = escape(_("This email cannot be shown yet"))
    return (
        f'<!doctype html><html><body style="font-family:sans-serif;padding:2em">'
        f"<h1>{title}</h1><p>{escape(reason)}</p></body></html>"
    )


def text_page(composed: templates.Composed) -> str:
    return (
        f'<!doctype html><html><body style="font-family:sans-serif;padding:2em">'
        f"<p><strong>{escape(composed.subject)}</strong></p>"
        f'<pre style="white-space:pre-wrap">{escape(composed.text)}</pre></body></html>'
    )


def send_test(design: Any, to: str) -> templates.Composed:
    """The saved design, with example values, to ``to`` now (marked "[TEST]" by the core)."""
    return message_templates.send_test(
        design.program,
        design.kind,
        EMAIL,
        design.language,
        to,
        subject=design.subject,
        html=design_mjml(design),
        text="",
    )
