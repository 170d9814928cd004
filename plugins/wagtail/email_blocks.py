"""The blocks of the drag-and-drop email editor, and the MJML each one writes.

An email design is a StreamField of these blocks (editors reorder them by dragging). Each
block writes one ``<mj-section>``; the design's MJML is their sequence, which the core puts
in the program's layout (header, legal footer, shop address, unsubscribe link) and turns
into client-safe HTML (``core.messaging.mjml``).

What the editor types is text: it is HTML-escaped, so ``<b>`` shows as typed. Variables
are written ``{{ share_link }}`` and stay jinja tags for the core's sandboxed renderer to
fill at sending (with its own escaping); anything else between braces is refused when the
design is saved (``render.check``). The offer, code, badge and share blocks write their
variables themselves, so the editor only chooses and words them.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import expand_db_html

from parrain.core.conf import parrain_settings

#: Colours of the Wagtail admin (teal), used until the editor chooses others.
BUTTON_COLOUR = "#007d7e"
TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#666666"
COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Write a colour as #RRGGBB."))
LINK = RegexValidator(
    r"^(https?://\S+|mailto:\S+|\{\{ ?[a-z_]+ ?\}\})$",
    _("Write a web address (https://…) or one variable, such as {{ share_link }}."),
)
IMAGE_WIDTH = 600


def escaped(value: Any) -> str:
    """Editor text in MJML: escaped, line breaks kept, ``{{ name }}`` tags left as they are."""
    return escape(str(value or "")).replace("\n", "<br>")


def section(inner: str, *, padding: str = "8px 0") -> str:
    return (
        f'<mj-section padding="{padding}">\n  <mj-column>\n    {inner}\n  </mj-column>\n'
        "</mj-section>"
    )


def introduction(value: blocks.StructValue) -> str:
    """The optional sentence above an offer, a code, a badge or the share buttons."""
    if not value.get("intro"):
        return ""
    intro = escaped(value["intro"])
    return f'<mj-text align="center" color="{MUTED_COLOUR}">{intro}</mj-text>\n    '


class EmailBlock(blocks.StructBlock):
    """A block that writes its own MJML section."""

    def mjml(self, value: blocks.StructValue) -> str:
        raise NotImplementedError

    def sources(self, value: blocks.StructValue) -> list[tuple[str, str]]:
        """(field label, text as typed) pairs, checked one by one on save for the lines."""
        return [
            (str(child.label), str(value.get(name) or ""))
            for name, child in self.child_blocks.items()
            if isinstance(child, blocks.CharBlock | blocks.TextBlock)
        ]


class HeadingBlock(EmailBlock):
    heading = blocks.CharBlock(label=capfirst(_("heading")), max_length=200)
    size = blocks.ChoiceBlock(
        choices=[("large", _("Large")), ("medium", _("Medium"))],
        default="large",
        label=capfirst(_("size")),
    )
    align = blocks.ChoiceBlock(
        choices=[("left", _("Left")), ("center", _("Centre"))],
        default="left",
        label=capfirst(_("align")),
    )

    class Meta:
        icon = "title"
        label = _("Heading")

    def mjml(self, value: blocks.StructValue) -> str:
        size = "26px" if value["size"] == "large" else "20px"
        return section(
            f'<mj-text font-size="{size}" font-weight="bold" line-height="1.3" '
            f'align="{value["align"]}" color="{TEXT_COLOUR}">{escaped(value["heading"])}</mj-text>'
        )


class TextBlock(EmailBlock):
    """A paragraph with bold, italic and links only: what every mail client shows alike."""

    text = blocks.RichTextBlock(label=capfirst(_("text")), features=["bold", "italic", "link"])

    class Meta:
        icon = "pilcrow"
        label = _("Text")

    def mjml(self, value: blocks.StructValue) -> str:
        # Wagtail's rich text is already HTML (escaped by its converter); page links are
        # expanded to their address.
        return section(
            f'<mj-text font-size="16px" line-height="1.5" color="{TEXT_COLOUR}">'
            f"{expand_db_html(value['text'].source)}</mj-text>"
        )

    def sources(self, value: blocks.StructValue) -> list[tuple[str, str]]:
        return [(str(capfirst(_("text"))), value["text"].source)]


def absolute(url: str) -> str:
    """Image addresses in an email must be absolute."""
    if url.startswith(("http://", "https://")):
        return url
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or parrain_settings.BASE_URL
    return base.rstrip("/") + url


class ImageBlock(EmailBlock):
    image = ImageChooserBlock(label=capfirst(_("image")))
    alt = blocks.CharBlock(
        label=capfirst(_("description")),
        max_length=200,
        required=False,
        help_text=_("Read aloud and shown when the mail client hides images."),
    )
    link = blocks.CharBlock(label=capfirst(_("link")), required=False, validators=[LINK])

    class Meta:
        icon = "image"
        label = _("Image")

    def mjml(self, value: blocks.StructValue) -> str:
        image = value["image"]
        if image is None:  # deleted from the library since
            return ""
        rendition = image.get_rendition(f"max-{IMAGE_WIDTH * 2}x{IMAGE_WIDTH * 2}")
        href = f' href="{escape(value["link"])}"' if value.get("link") else ""
        return section(
            f'<mj-image src="{escape(absolute(rendition.url))}" alt="{escaped(value["alt"])}" '
            f'width="{min(rendition.width, IMAGE_WIDTH)}px"{href} />'
        )


class ButtonBlock(EmailBlock):
    label = blocks.CharBlock(label=capfirst(_("label")), max_length=80)
    link = blocks.CharBlock(
        label=capfirst(_("link")),
        default="{{ share_link }}",
        validators=[LINK],
        help_text=_("A web address, or a variable such as {{ share_link }} or {{ review_link }}."),
    )
    colour = blocks.CharBlock(
        label=capfirst(_("colour")), default=BUTTON_COLOUR, max_length=7, validators=[COLOUR]
    )

    class Meta:
        icon = "link"
        label = _("Button")

    def mjml(self, value: blocks.StructValue) -> str:
        return section(
            f'<mj-button href="{escape(value["link"])}" background-color="{value["colour"]}" '
            f'color="#ffffff" font-size="16px" font-weight="bold" border-radius="6px" '
            f'inner-padding="12px 28px">{escaped(value["label"])}</mj-button>'
        )


class OfferBlock(EmailBlock):
    """The program's offers as the reward rules word them, read at sending."""

    SIDES = (
        ("offer_referee", _("Welcome offer for the friend")),
        ("offer_referrer", _("Reward for the referrer")),
    )
    side = blocks.ChoiceBlock(
        choices=SIDES, default="offer_referee", label=capfirst(_("which offer"))
    )
    intro = blocks.CharBlock(label=capfirst(_("introduction")), required=False, max_length=200)

    class Meta:
        icon = "tag"
        label = _("Offer")

    def mjml(self, value: blocks.StructValue) -> str:
        intro = introduction(value)
        return section(
            f'{intro}<mj-text align="center" font-size="22px" font-weight="bold" '
            f'color="{TEXT_COLOUR}">{{{{ {value["side"]} }}}}</mj-text>',
            padding="16px 0",
        )


class CodeBlock(EmailBlock):
    """The friend's welcome code or the referrer's reward code, easy to copy."""

    CODES = (
        ("welcome_code", _("Welcome code (friend)")),
        ("reward_code", _("Reward code (referrer)")),
    )
    code = blocks.ChoiceBlock(
        choices=CODES, default="welcome_code", label=capfirst(_("which code"))
    )
    intro = blocks.CharBlock(label=capfirst(_("introduction")), required=False, max_length=200)
    show_expiry = blocks.BooleanBlock(
        label=capfirst(_("show the expiry date (reward code)")), required=False, default=True
    )

    class Meta:
        icon = "code"
        label = _("Code")

    def mjml(self, value: blocks.StructValue) -> str:
        parts = [introduction(value).strip()] if value.get("intro") else []
        parts.append(
            '<mj-text align="center" font-size="24px" font-family="Courier New, monospace" '
            f'font-weight="bold" letter-spacing="2px">{{{{ {value["code"]} }}}}</mj-text>'
        )
        if value["code"] == "reward_code" and value.get("show_expiry"):
            parts.append(
                f'<mj-text align="center" font-size="13px" color="{MUTED_COLOUR}">'
                f"{escape(_('Valid until'))} {{{{ reward_expiry }}}}</mj-text>"
            )
        return section("\n    ".join(parts), padding="16px 0")


#: Where a share button leads, with the share link in it.
NETWORKS = {
    "email": (_("Email"), "mailto:?body={{ share_link }}"),
    "whatsapp": ("WhatsApp", "https://wa.me/?text={{ share_link }}"),
    "facebook": ("Facebook", "https://www.facebook.com/sharer/sharer.php?u={{ share_link }}"),
    "x": ("X", "https://x.com/intent/post?url={{ share_link }}"),
}


class ShareButtonsBlock(EmailBlock):
    intro = blocks.CharBlock(label=capfirst(_("introduction")), required=False, max_length=200)
    networks = blocks.MultipleChoiceBlock(
        choices=[(key, label) for key, (label, _link) in NETWORKS.items()],
        default=["email", "whatsapp", "facebook"],
        label=capfirst(_("share by")),
    )

    class Meta:
        icon = "site"
        label = _("Share buttons")

    def mjml(self, value: blocks.StructValue) -> str:
        buttons = "\n      ".join(
            f'<mj-social-element href="{escape(NETWORKS[key][1])}" background-color="'
            f'{BUTTON_COLOUR}">{escape(NETWORKS[key][0])}</mj-social-element>'
            for key in value["networks"]
            if key in NETWORKS
        )
        intro = introduction(value)
        return section(
            f'{intro}<mj-social mode="horizontal" icon-size="0px" font-size="14px" '
            f'color="#ffffff" inner-padding="6px 12px">\n      {buttons}\n    </mj-social>'
        )


class BadgeBlock(EmailBlock):
    """The badge just earned (badge earned messages)."""

    intro = blocks.CharBlock(label=capfirst(_("introduction")), required=False, max_length=200)

    class Meta:
        icon = "pick"
        label = _("Badge")

    def mjml(self, value: blocks.StructValue) -> str:
        intro = introduction(value)
        return section(
            f'{intro}<mj-text align="center" font-size="22px" font-weight="bold" '
            f'color="{BUTTON_COLOUR}">{{{{ badge_name }}}}</mj-text>',
            padding="16px 0",
        )


class SpacerBlock(EmailBlock):
    height = blocks.IntegerBlock(
        label=capfirst(_("height (pixels)")), default=24, min_value=4, max_value=120
    )

    class Meta:
        icon = "arrows-up-down"
        label = _("Spacer")

    def mjml(self, value: blocks.StructValue) -> str:
        return section(f'<mj-spacer height="{int(value["height"])}px" />', padding="0")


class FooterBlock(EmailBlock):
    """A small grey note above the legal footer that the layout always adds."""

    text = blocks.RichTextBlock(label=capfirst(_("text")), features=["bold", "italic", "link"])

    class Meta:
        icon = "doc-full"
        label = _("Footer")

    def mjml(self, value: blocks.StructValue) -> str:
        return section(
            f'<mj-text font-size="12px" line-height="1.4" color="{MUTED_COLOUR}">'
            f"{expand_db_html(value['text'].source)}</mj-text>",
            padding="16px 0 0",
        )

    def sources(self, value: blocks.StructValue) -> list[tuple[str, str]]:
        return [(str(capfirst(_("text"))), value["text"].source)]


class EmailBlocks(blocks.StreamBlock):
    heading = HeadingBlock()
    text = TextBlock()
    image = ImageBlock()
    button = ButtonBlock()
    offer = OfferBlock()
    code = CodeBlock()
    share = ShareButtonsBlock()
    badge = BadgeBlock()
    spacer = SpacerBlock()
    footer = FooterBlock()


def body_mjml(body: Any) -> str:
    """The MJML fragment of a StreamField value: the blocks' sections, in order."""
    sections = (child.block.mjml(child.value) for child in body)
    return "\n".join(part for part in sections if part)


# -- a new design starts from the shipped default of its kind -------------------------------

_PIECE = re.compile(
    r"^\s*(?P<open>\{%\s*if [^%]+%\})\s*$"
    r"|^\s*(?P<close>\{%\s*endif\s*%\})\s*$"
    r"|<mj-text(?P<text_attrs>[^>]*)>(?P<text>.*?)</mj-text>"
    r'|<mj-button[^>]*href="(?P<href>[^"]*)"[^>]*>(?P<button>.*?)</mj-button>',
    re.M | re.S,
)


def _rich(html: str) -> str:
    """An MJML paragraph as Wagtail rich text (its stored form: <p>, <b>, <i>, <br/>)."""
    html = re.sub(r"<(/?)strong>", r"<\1b>", html)
    html = re.sub(r"<(/?)em>", r"<\1i>", html)
    html = re.sub(r"<br\s*/?>", "<br/>", html.strip())
    return f"<p>{html}</p>"


def default_blocks(kind: str, language: str) -> list[tuple[str, dict[str, Any]]]:
    """The shipped default email of ``kind`` as blocks (heading, texts, button, footer
    note), for a new design to start from instead of an empty page; a section shown on a
    condition (``{% if personal_message %}``) keeps it inside its paragraphs."""
    from parrain.core.messaging.templates import default_for

    fragment = default_for(kind, "email", language).html
    found: list[tuple[str, dict[str, Any]]] = []
    conditions: list[str] = []
    for piece in _PIECE.finditer(fragment):
        if piece["open"]:
            conditions.append(piece["open"])
            continue
        if piece["close"]:
            if conditions:
                conditions.pop()
            continue
        opened, closed = "".join(conditions), "{% endif %}" * len(conditions)
        if piece["button"] is not None:
            found.append(("button", {"label": piece["button"].strip(), "link": piece["href"]}))
            continue
        attrs, text = piece["text_attrs"], f"{opened}{piece['text'].strip()}{closed}"
        code = re.fullmatch(r"\{\{ (welcome_code|reward_code) \}\}", text)
        if code:  # its expiry, if any, is the default's next paragraph
            found.append(("code", {"code": code[1], "show_expiry": False}))
        elif 'font-weight="700"' in attrs or 'font-weight="bold"' in attrs:
            heading = {"heading": re.sub(r"<[^>]+>", "", text)}
            if 'align="center"' in attrs:
                heading.update(size="medium", align="center")
            found.append(("heading", heading))
        elif 'font-size="12px"' in attrs:
            found.append(("footer", {"text": _rich(text)}))
        else:
            found.append(("text", {"text": _rich(text)}))
    return found
