"""Which template a message uses, and the message it makes (helper: templates).

Contract:
- ``DEFAULTS``: the shipped FR and EN template of every kind and channel (email: subject,
  MJML body rendered once to HTML through ``mjml.to_html``, text; SMS: text), files under
  ``core/messaging/defaults/``.
- ``template_for(program, kind, channel, language) -> Resolved``: the owner's
  ``MessageTemplate`` row (cached per program, forgotten on save) or the default.
- ``compose(message: ScheduledMessage) -> Composed | None``: the recipient's language
  (``messaging.language_for``), the variables (``variables.context_for``; None → None), the
  rendered parts; email HTML wrapped in the program's layout (legal footer, shop address,
  unsubscribe link). Raises ``render.RenderError``.
- ``preview(program, kind, channel, language, *, subject, html, text) -> Composed``: with
  ``variables.example_context``; for the editors' live preview and test send.

An email's ``html`` part (a default or an owner's) is a fragment: MJML ``<mj-section>``
elements (what the default files and Wagtail's blocks write) or plain HTML (the Django
admin's field). Either is set in the program's layout ``defaults/_layout.<lang>.mjml``
(header with the program's name in its brand colour, legal footer, shop address, plain
unsubscribe link), turned into inlined HTML once per process (``_document``), then filled
with the message's values by the sandbox. An empty ``text`` is the rendered HTML's text
(``mjml.html_to_text``), made from a text template derived once from the document
(``_generated_text``); an owner's text gets the footer and the unsubscribe line added.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..models.choices import MessageChannel, MessageKind
from . import mjml
from .render import RenderError, render

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
LAYOUT_MARKER = "<!-- parrain:content -->"
LANGUAGES = ("fr", "en")
#: How long a process trusts its copy of a program's templates (a save in this process
#: forgets it at once; another process, a worker, sees the change within this delay).
CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class Resolved:
    subject: str
    html: str
    text: str
    is_default: bool


@dataclass(frozen=True)
class Composed:
    channel: str
    to: str  # email address or E.164 number
    subject: str  # email subject; empty for SMS
    text: str
    html: str = ""  # email only
    headers: dict[str, str] = field(default_factory=dict)  # List-Unsubscribe, …


# -- the shipped defaults -------------------------------------------------------------------


def _read(name: str) -> str:
    path = DEFAULTS_DIR / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _load_defaults() -> dict[tuple[str, str, str], Resolved]:
    found = {}
    for kind in MessageKind.values:
        for language in LANGUAGES:
            subject = _read(f"{kind}.{language}.subject.txt").strip()
            body = _read(f"{kind}.{language}.email.mjml")
            if body:
                found[(kind, MessageChannel.EMAIL.value, language)] = Resolved(
                    subject=subject, html=body, text="", is_default=True
                )
            sms = _read(f"{kind}.{language}.sms.txt").strip()
            if sms:
                found[(kind, MessageChannel.SMS.value, language)] = Resolved(
                    subject="", html="", text=sms, is_default=True
                )
    return found


DEFAULTS: dict[tuple[str, str, str], Resolved] = _load_defaults()


def default_for(kind: str, channel: str, language: str) -> Resolved:
    """The shipped template, in ``language`` or else English; RenderError when none."""
    for lang in dict.fromkeys((language, "en", "fr")):
        resolved = DEFAULTS.get((str(kind), str(channel), lang))
        if resolved is not None:
            return resolved
    raise RenderError(f"no template for {kind} by {channel}")


# -- the owner's templates, cached per program ----------------------------------------------

_CACHE: dict[int, tuple[float, dict[tuple[str, str, str], Any]]] = {}


def forget(program_id: int | None = None) -> None:
    """Drop this process's copy of a program's templates (all programs: None)."""
    if program_id is None:
        _CACHE.clear()
    else:
        _CACHE.pop(program_id, None)


def _forget_on_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget(instance.program_id)


def _owner_rows(program: Any) -> dict[tuple[str, str, str], Any]:
    from ..models import MessageTemplate

    cached = _CACHE.get(program.pk)
    now = time.monotonic()
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    rows = {
        (row.kind, row.channel, row.language): row
        for row in MessageTemplate.objects.filter(program_id=program.pk)
    }
    _CACHE[program.pk] = (now, rows)
    return rows


def template_for(program: Any, kind: str, channel: str, language: str) -> Resolved:
    """The owner's template for ``kind``/``channel``/``language``, its empty parts taken
    from the default; the default alone when the owner wrote none."""
    kind, channel = str(kind), str(channel)
    row = _owner_rows(program).get((kind, channel, language))
    try:
        default = default_for(kind, channel, language)
    except RenderError:
        if row is None:
            raise
        default = Resolved("", "", "", True)
    if row is None:
        return default
    if channel == MessageChannel.SMS:
        return Resolved("", "", row.text or default.text, is_default=False)
    html = row.html or default.html
    # A text written for the default HTML does not follow the owner's HTML: generated.
    text = row.text if row.text else ("" if row.html else default.text)
    return Resolved(row.subject or default.subject, html, text, is_default=False)


# -- the email document ---------------------------------------------------------------------

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
_SLOT = "PARRAINCONTENTSLOTX"
_HTML_SLOT = (
    "<mj-section><mj-column><mj-raw><tr><td "
    'style="padding:10px 25px;font-family:Helvetica, Arial, sans-serif;font-size:15px;'
    f'line-height:1.5;color:#1f2328;">{_SLOT}</td></tr></mj-raw></mj-column></mj-section>'
)


def is_mjml(fragment: str) -> bool:
    return fragment.lstrip().startswith(("<mj-", "<mjml"))


# A start tag, and the space before one of its attributes.
_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_ATTRIBUTE_GAP = re.compile(r' (?=[a-zA-Z_:][-a-zA-Z0-9_:.]*=")')
#: Characters after which a line of the document is broken at the next tag's attribute.
_BREAK_AFTER = 500


def short_lines(html: str) -> str:
    """``html`` with its long lines broken between the attributes of a tag (a line break
    there is the space it replaces, for any HTML reader). Inlined HTML is one line of
    kilobytes, and an email line over 998 bytes makes the whole part quoted-printable:
    bigger ('=' is '=3D' in every attribute), and slower to encode at each message."""
    if max(map(len, html.split("\n")), default=0) <= _BREAK_AFTER:
        return html

    def fold(line: str) -> str:
        last = 0

        def tag(match: re.Match[str]) -> str:
            nonlocal last
            text, start = match.group(0), match.start()
            if start + len(text) - last < _BREAK_AFTER:
                return text
            parts, cut = [], 0
            for gap in _ATTRIBUTE_GAP.finditer(text):
                if start + gap.start() - last >= _BREAK_AFTER:
                    parts += [text[cut : gap.start()], "\n"]
                    cut, last = gap.end(), start + gap.start()
            return "".join(parts) + text[cut:]

        return _TAG.sub(tag, line) if len(line) > _BREAK_AFTER else line

    return "\n".join(fold(line) for line in html.split("\n"))


@lru_cache(maxsize=256)
def _document(language: str, fragment: str) -> str:
    """The whole email (layout and ``fragment``) as inlined HTML with its Jinja tags, once
    per process for each language and fragment, its lines short (``short_lines``)."""
    return short_lines(_whole_document(language, fragment))


def _whole_document(language: str, fragment: str) -> str:
    layout = _read(f"_layout.{language}.mjml") or _read("_layout.en.mjml")
    if is_mjml(fragment):
        inner = fragment.strip()
        if inner.startswith("<mjml"):  # a whole document: its body's sections
            inner = re.sub(r"^.*?<mj-body[^>]*>|</mj-body>.*$", "", inner, flags=re.DOTALL)
        return mjml.to_html(layout.replace(LAYOUT_MARKER, inner))
    body = _BODY.search(fragment)
    html = body.group(1) if body else fragment
    return mjml.to_html(layout.replace(LAYOUT_MARKER, _HTML_SLOT)).replace(_SLOT, html)


@lru_cache(maxsize=256)  # a program's footer and address: the same for its every email
def _multiline_html(value: str) -> str:
    return mark_safe("<br>".join(escape(line) for line in value.strip().splitlines()))  # nosec B308 B703 # each line escaped


@lru_cache(maxsize=256)
def _multiline_text(value: str) -> str:
    return "\n".join(value.strip().splitlines())


# (language, fragment) -> the text template made from its document (``mjml.text_template``),
# or None when its first message showed that it does not give the text of the HTML.
_TEXT: dict[tuple[str, str], str | None] = {}
_TEXT_SIZE = 256


def _generated_text(language: str, fragment: str, html: str, variables: dict[str, Any]) -> str:
    """The text part of an email whose owner wrote none: ``mjml.html_to_text(html)``,
    made from the template's text template once the first message proved it the same."""
    key = (language, fragment)
    source = _TEXT.get(key, "")
    if source:
        try:
            return mjml.tidy_text(render(source, variables, html=False))
        except RenderError:
            return mjml.html_to_text(html)
    text = mjml.html_to_text(html)
    if source is None:
        return text
    try:
        source = mjml.text_template(_document(language, fragment))
        same = source is not None and (
            mjml.tidy_text(render(source, variables, html=False)) == text
        )
    except Exception:  # noqa: BLE001 (the HTML's own conversion stays)
        same = False
    if len(_TEXT) >= _TEXT_SIZE:
        _TEXT.clear()
    _TEXT[key] = source if same else None
    return text


def _footer(program: Any, language: str) -> str:
    footers = program.legal_footer or {}
    return str(footers.get(language) or footers.get(program.default_language) or "").strip()


def _text_footer(program: Any, language: str, unsubscribe_link: str) -> str:
    lines = [_footer(program, language), (program.shop_address or "").strip()]
    with translation.override(language):
        lines.append(
            _("Stop receiving messages from %(program)s: %(url)s")
            % {"program": program.name, "url": unsubscribe_link}
        )
    return "\n-- \n" + "\n".join(line for line in lines if line) + "\n"


def build(
    program: Any,
    channel: str,
    language: str,
    resolved: Resolved,
    variables: dict[str, str],
    *,
    to: str,
    unsubscribe_link: str,
) -> Composed:
    """The message made from ``resolved`` and ``variables``; RenderError when a part
    cannot be rendered whole (nothing is sent then)."""
    if channel == MessageChannel.SMS:
        text = render(resolved.text, variables, html=False).strip()
        if not text:
            raise RenderError(_("The message is empty."))
        return Composed(channel=str(channel), to=to, subject="", text=text)
    subject = " ".join(render(resolved.subject, variables, html=False).split())
    if not subject:
        raise RenderError(_("The subject is empty."))
    if not resolved.html:
        raise RenderError(_("The message is empty."))
    layout = {
        **variables,
        "subject": subject,
        "brand_colour": program.brand_colour,
        "program_name": program.name,
        "legal_footer": _multiline_html(_footer(program, language)),
        "shop_address": _multiline_html(program.shop_address or ""),
        "unsubscribe_link": unsubscribe_link,
    }
    html = render(_document(language, resolved.html), layout, html=True)
    if resolved.text:
        text = render(resolved.text, variables, html=False).strip() + "\n"
        text += _text_footer(program, language, unsubscribe_link)
    else:
        plain = {
            **layout,
            "legal_footer": _multiline_text(_footer(program, language)),
            "shop_address": _multiline_text(program.shop_address or ""),
        }
        text = _generated_text(language, resolved.html, html, plain)
    return Composed(
        channel=str(channel),
        to=to,
        subject=subject,
        text=text,
        html=html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def compose(message: Any) -> Composed | None:
    """``message`` (a ``ScheduledMessage``) rendered for its contact now; None when what
    it is about is gone. Raises ``RenderError``."""
    from . import language_for, unsubscribe_url
    from .variables import context_for

    contact = message.contact
    language = language_for(contact)
    resolved = template_for(message.program, message.kind, message.channel, language)
    email = message.channel == MessageChannel.EMAIL
    variables = context_for(message, only=_names(resolved, language, email=email))
    if variables is None:
        return None
    return build(
        message.program,
        message.channel,
        language,
        resolved,
        variables,
        to=contact.email if email else contact.phone,
        unsubscribe_link=variables.get("unsubscribe_link") or unsubscribe_url(contact),
    )


def _names(resolved: Resolved, language: str, *, email: bool) -> frozenset[str] | None:
    """The variables ``resolved`` reads, layout included (None: all of them)."""
    from .render import used_names

    if not email:
        return used_names(resolved.text)
    parts = [resolved.subject, resolved.text]
    try:
        parts.append(_document(language, resolved.html) if resolved.html else "")
    except Exception:  # noqa: BLE001 (build raises the RenderError)
        return None
    names = [used_names(part) for part in parts]
    if any(found is None for found in names):
        return None
    return frozenset({"unsubscribe_link"}).union(*names)  # type: ignore[arg-type]


def preview(
    program: Any,
    kind: str,
    channel: str,
    language: str,
    *,
    subject: str = "",
    html: str = "",
    text: str = "",
    to: str = "",
) -> Composed:
    """What the template being edited makes with example values (its empty parts: the
    current template's). Raises ``RenderError``."""
    from .variables import example_context

    current = template_for(program, kind, channel, language)
    if channel == MessageChannel.SMS:
        resolved = Resolved("", "", text or current.text, is_default=False)
    else:
        resolved = Resolved(
            subject or current.subject,
            html or current.html,
            text if (text or html) else current.text,
            is_default=False,
        )
    variables = example_context(program, kind, language)
    return build(
        program,
        channel,
        language,
        resolved,
        variables,
        to=to,
        unsubscribe_link=variables.get("unsubscribe_link", ""),
    )


def _connect() -> None:
    from ..models import MessageTemplate

    post_save.connect(_forget_on_change, sender=MessageTemplate, dispatch_uid="parrain_tpl_save")
    post_delete.connect(
        _forget_on_change, sender=MessageTemplate, dispatch_uid="parrain_tpl_delete"
    )


_connect()
