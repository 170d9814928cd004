"""Responsive, client-safe email HTML (helper: templates).

Contract:
- ``to_html(mjml: str) -> str``: MJML through ``mrml``, then CSS inlined by ``css_inline``.
  Jinja tags in the MJML (``{{ welcome_code }}``) come out intact, for ``render`` to fill.
- ``html_to_text(html: str) -> str``: the text alternative of an email (links as
  "label (url)", headings and paragraphs kept apart).
- ``text_template(document: str) -> str | None``: the same conversion made once on a
  document that still holds its Jinja tags, giving a text template (``render`` it with the
  plain values, then ``tidy_text``): parsing a 16 KB HTML email costs milliseconds, filling
  a text template microseconds (None: the document's statements do not survive it).

Jinja tags are set aside before mrml and css_inline see the source (an HTML parser would
escape ``{% if a > b %}``) and put back after. No file or web address is ever read:
``mj-include`` resolves to nothing, no web font is linked, no remote stylesheet loaded.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import css_inline
import mrml

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_TOKEN = "PARRAINJINJA{:06d}X"  # nosec B105 # a placeholder for a jinja tag, not a password
_TOKEN_RE = re.compile(r"PARRAINJINJA(\d{6})X")

_INLINER = css_inline.CSSInliner(
    keep_style_tags=True,  # media queries: the responsive part of mrml's output
    load_remote_stylesheets=False,
)


class MjmlError(ValueError):
    """The MJML could not be turned into HTML."""


def _protect(source: str) -> tuple[str, list[str]]:
    tags: list[str] = []

    def keep(match: re.Match[str]) -> str:
        tags.append(match.group(0))
        return _TOKEN.format(len(tags) - 1)

    return _JINJA.sub(keep, source), tags


def _restore(html: str, tags: list[str]) -> str:
    return _TOKEN_RE.sub(lambda m: tags[int(m.group(1))], html)


# MJML elements whose content is HTML (a Jinja tag in them stays where it is).
_ENDING = re.compile(
    r"<(mj-text|mj-button|mj-raw|mj-table|mj-navbar-link|mj-title|mj-preview|mj-style|"
    r"mj-accordion-title|mj-accordion-text|mj-social-element)\b"
    ""
    r"""(?:[^>"']|"[^"]*"|'[^']*')*(?<!/)>.*?</\1\s*>""",
    re.DOTALL,
)
_STATEMENT = re.compile(r"\{%.*?%\}", re.DOTALL)
_UNWRAP = re.compile(r"<!--(\{%.*?%\})-->", re.DOTALL)


def _raw_statements(source: str) -> str:
    """Wrap in ``<mj-raw>`` each ``{% … %}`` standing between MJML elements (``{% if
    personal_message %}<mj-text>…</mj-text>{% endif %}``): mrml would move bare text, and
    the condition with it, away from the elements it guards."""
    content = [m.span() for m in _ENDING.finditer(source)]
    out, last = [], 0
    for match in _STATEMENT.finditer(source):
        start, end = match.span()
        inside_content = any(a < start < b for a, b in content)
        inside_tag = source.rfind("<", 0, start) > source.rfind(">", 0, start)
        if inside_content or inside_tag:
            continue
        out.append(source[last:start])
        # In an HTML comment: the HTML parser of css_inline moves bare text out of a table.
        out.append(f"<mj-raw><!--{match.group(0)}--></mj-raw>")
        last = end
    out.append(source[last:])
    return "".join(out)


def to_html(mjml: str) -> str:
    """``mjml`` (a whole ``<mjml>`` document) as inlined HTML, Jinja tags intact."""
    protected, tags = _protect(_raw_statements(mjml))
    try:
        output = mrml.to_html(
            protected,
            parser_options=mrml.ParserOptions(include_loader=mrml.noop_loader()),
            render_options=mrml.RenderOptions(fonts={}),
        )
        html = _INLINER.inline(output.content)
    except Exception as exc:  # mrml raises its own error types
        raise MjmlError(str(exc)) from exc
    return _UNWRAP.sub(r"\1", _restore(html, tags))


# -- the text alternative -------------------------------------------------------------------

_BLOCKS = frozenset(
    {"p", "div", "table", "tr", "ul", "ol", "li", "section", "article", "header", "footer"}
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP = frozenset({"head", "style", "script", "title"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0
        self.links: list[tuple[str, int]] = []  # (href, position in out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in _HEADINGS:
            self.out.append("\n\n")
        elif tag in _BLOCKS:
            self.out.append("\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if alt:
                self.out.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _HEADINGS:
            self.out.append("\n\n")
        elif tag in _BLOCKS:
            self.out.append("\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = " ".join("".join(self.out[start:]).split())
            if href and not href.startswith(("#", "javascript:")) and href != label:
                self.out.append(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(data)

    def handle_comment(self, data: str) -> None:
        # A Jinja statement in a comment (Outlook's ``<!--[if mso]>…``) still governs
        # the text around it (``text_template``); nothing else of a comment shows.
        if not self.skipping:
            self.out.extend(_STATEMENT_TOKEN.findall(data))


# What the text never shows, removed before parsing (the parser's time goes on the inlined
# styles of every table cell): the document's head, and presentational attributes in
# double quotes (an escaped text holds no double quote, so none is taken from the text).
_HEAD = re.compile(r"<head\b.*?</head>", re.DOTALL | re.IGNORECASE)
_PRESENTATION = re.compile(
    r"\s(?:style|class|width|height|align|valign|cellpadding|cellspacing|border|role"
    r'|bgcolor|dir|lang|id)="[^"<>]*"',
    re.IGNORECASE,
)


_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(html: str) -> str:
    """The readable text of ``html``: one paragraph a block, links as "label (url)"."""
    parser = _Text()
    parser.feed(_PRESENTATION.sub("", _HEAD.sub("", html)))
    parser.close()
    return tidy_text("".join(parser.out))


def tidy_text(text: str) -> str:
    """Spaces collapsed in each line, at most one blank line in a row, a final newline."""
    lines = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip() + "\n"


_TEXT_TOKEN = "PARRAINTEXT{}{:06d}X"  # nosec B105 # a placeholder, not a password
_TEXT_TOKEN_RE = re.compile(r"PARRAINTEXT[ES](\d{6})X")
_STATEMENT_TOKEN = re.compile(r"PARRAINTEXTS\d{6}X")


def text_template(document: str) -> str | None:
    """``html_to_text`` of a document holding Jinja tags, the tags kept (each the same
    placeholder wherever it occurs, so that a link labelled with its own address stays one
    address); a brace of the text itself is written as a Jinja string. A tag where the
    text loses it (in the head, in a style) is lost: the caller compares the template's
    output with a message converted whole before trusting it. None when a statement
    (``{% if %}``…) is lost (in an attribute, in the head): the text's blocks would not
    match the HTML's."""
    tags: dict[str, int] = {}

    def keep(match: re.Match[str]) -> str:
        tag = match.group(0)
        kind = "S" if tag.startswith("{%") else "E"
        return _TEXT_TOKEN.format(kind, tags.setdefault(tag, len(tags)))

    protected = _JINJA.sub(keep, document)
    text = html_to_text(protected)
    if sorted(_STATEMENT_TOKEN.findall(text)) != sorted(_STATEMENT_TOKEN.findall(protected)):
        return None
    by_number = list(tags)
    pieces = _TEXT_TOKEN_RE.split(text)
    for n in range(1, len(pieces), 2):
        pieces[n] = by_number[int(pieces[n])]
    for n in range(0, len(pieces), 2):
        pieces[n] = pieces[n].replace("{", '{{ "{" }}')
    return "".join(pieces)
