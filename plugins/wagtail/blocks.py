"""StreamField blocks of the referral landing page.

:class:`ReferralWidgetBlock` and :class:`OfferBlock` work in any StreamField of the site;
on a referral landing page they default to the page's program. Both read the program at
render time, so the page always shows the offer in force (a new reward rule or a boost
shows without editing the page) and the widget always carries the current public key.
"""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

from parrain.core.embed import COLOUR_PATTERN, render_widget
from parrain.core.identity import sign_identity
from parrain.core.models import Badge, Program
from parrain.core.services import boosts, contest_public

from .badge_text import condition_text, match_text

PROGRAM_HELP = _("Leave empty on a referral landing page to use the page's program.")


def _program(value: blocks.StructValue, context: dict[str, Any] | None) -> Program | None:
    """The block's own program, else the program of the page being rendered."""
    program = value.get("program")
    if program is None and context:
        program = getattr(context.get("page"), "program", None)
    if program is None or not program.is_active:
        return None
    return program


def page_language(context: dict[str, Any] | None) -> str:
    """The language the landing page speaks to its visitor (``visitor_language``), else
    the page's Wagtail locale, else the active one."""
    chosen = (context or {}).get("parrain_language")
    if chosen:
        return chosen
    locale = getattr((context or {}).get("page"), "locale", None)
    code = getattr(locale, "language_code", "") or translation.get_language() or "en"
    return code


class HeroBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"), required=False)
    title = blocks.CharBlock(label=_("title"), max_length=160)
    text = blocks.TextBlock(label=_("text"), required=False)

    class Meta:
        icon = "image"
        label = _("Hero")
        template = "parrain_wagtail/blocks/hero.html"


class OfferBlock(blocks.StructBlock):
    """The program's current offer, worded in the page's language. Nothing is stored.

    While a boost runs it shows the boosted offer with its label, its end and a live
    countdown (``parrain/countdown.js``); the normal offer is in the page too, hidden, and
    the script shows it at the end without a reload. A page rendered after the end shows
    the normal offer (``boosts.offer_view`` reads the clock at render time).
    """

    SIDES = (
        ("referee", _("Welcome offer for the friend")),
        ("referrer", _("Reward for the referrer")),
        ("both", _("Both")),
    )

    heading = blocks.CharBlock(label=_("heading"), required=False, max_length=120)
    side = blocks.ChoiceBlock(choices=SIDES, default="both", label=_("which offer"))
    program = SnippetChooserBlock(
        "parrain.Program", label=_("program"), required=False, help_text=PROGRAM_HELP
    )

    class Meta:
        icon = "tag"
        label = _("Offer")
        template = "parrain_wagtail/blocks/offer.html"

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context=parent_context)
        program = _program(value, parent_context)
        language = page_language(parent_context)
        side = value.get("side") or "both"
        offer = boosts.offer_view(program, language) if program is not None else None
        welcome = side in ("referee", "both")
        referrer = side in ("referrer", "both")
        context.update(
            language=language,
            offer=offer,
            boosted=_side_texts(offer, welcome, referrer, boosted=True),
            normal=_side_texts(offer, welcome, referrer, boosted=False),
            time_zone=program.time_zone if program is not None else "UTC",
            script=countdown_script(parent_context) if offer and offer.boost else "",
        )
        return context


def _side_texts(
    offer: boosts.OfferView | None, welcome: bool, referrer: bool, *, boosted: bool
) -> dict[str, str]:
    """The two sides of the boosted (or normal) offer the block was asked to show."""
    if offer is None or (boosted and offer.boost is None):
        return {"welcome": "", "referrer": ""}
    texts = (
        (offer.welcome_offer, offer.referrer_reward)
        if boosted
        else (offer.normal_welcome_offer, offer.normal_referrer_reward)
    )
    return {"welcome": texts[0] if welcome else "", "referrer": texts[1] if referrer else ""}


_COUNTDOWN_DONE = "_parrain_countdown_script"


def countdown_script(context: dict[str, Any] | None) -> str:
    """The countdown script tag, once per request (several blocks may count down)."""
    request = (context or {}).get("request")
    if request is not None and getattr(request, _COUNTDOWN_DONE, False):
        return ""
    if request is not None:
        setattr(request, _COUNTDOWN_DONE, True)
    return format_html('<script src="{}" defer></script>', static("parrain/countdown.js"))


class ReferralWidgetBlock(blocks.StructBlock):
    """The referrer, referee or loyalty widget, through :func:`parrain.core.embed.render_widget`."""

    KINDS = (
        ("referrer", _("Referrer widget (invite friends)")),
        ("referee", _("Referee widget (claim the welcome offer)")),
        ("loyalty", _("Loyalty space (points, history and badges of the signed-in customer)")),
    )

    kind = blocks.ChoiceBlock(choices=KINDS, default="referee", label=_("widget"))
    program = SnippetChooserBlock(
        "parrain.Program", label=_("program"), required=False, help_text=PROGRAM_HELP
    )
    title = blocks.CharBlock(label=_("title"), required=False, max_length=120)
    colour = blocks.RegexBlock(
        regex=COLOUR_PATTERN,
        label=_("colour"),
        required=False,
        help_text=_("A brand colour such as #0b7a75; empty uses the program's."),
        error_messages={"invalid": _("Enter a colour as #rgb or #rrggbb.")},
    )

    class Meta:
        icon = "group"
        label = _("Referral widget")
        template = "parrain_wagtail/blocks/widget.html"

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context=parent_context)
        program = _program(value, parent_context)
        request = (parent_context or {}).get("request")
        context["widget"] = (
            render_widget(
                program,
                value.get("kind") or "referee",
                request=request,
                identity=self._identity(program, value, request),
                title=value.get("title") or "",
                colour=value.get("colour") or "",
            )
            if program is not None
            else ""
        )
        return context

    @staticmethod
    def _identity(program: Program, value: Any, request: Any) -> str:
        """A signed token for a logged-in visitor on the referrer or loyalty widget, never in
        preview.

        The editor previewing the page sees what an anonymous visitor sees.
        """
        user = getattr(request, "user", None)
        if (
            value.get("kind") not in ("referrer", "loyalty")
            or getattr(request, "is_preview", False)
            or not getattr(user, "is_authenticated", False)
            or not getattr(user, "email", "")
        ):
            return ""
        return sign_identity(program, user.email, first_name=user.first_name or "")


class BadgesBlock(blocks.StructBlock):
    """The program's active badges by rank: image, name, description and what it takes,
    read at render time in the page's language (a new badge shows without an edit)."""

    heading = blocks.CharBlock(
        label=_("heading"),
        required=False,
        max_length=120,
        help_text=_('Empty shows "Ambassador badges".'),
    )
    program = SnippetChooserBlock(
        "parrain.Program", label=_("program"), required=False, help_text=PROGRAM_HELP
    )

    class Meta:
        icon = "pick"
        label = _("Badges")
        template = "parrain_wagtail/blocks/badges.html"

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context=parent_context)
        program = _program(value, parent_context)
        language = page_language(parent_context)
        with translation.override(language):
            context.update(
                heading=value.get("heading") or str(_("Ambassador badges")),
                badges=[self._badge(badge, language) for badge in self._badges(program)],
            )
        return context

    @staticmethod
    def _badges(program: Program | None) -> list[Badge]:
        if program is None:
            return []
        return list(
            program.badges.filter(is_active=True)
            .select_related("program")
            .prefetch_related("conditions__required_badge")
            .order_by("rank", "pk")
        )

    @staticmethod
    def _badge(badge: Badge, language: str) -> dict[str, Any]:
        return {
            "name": badge.name(language),
            "description": badge.description(language),
            "image": badge.image.url if badge.image else "",
            "colour": badge.colour,
            "match": match_text(badge, language),
            "conditions": [condition_text(c, language) for c in badge.conditions.all()],
        }


class ContestBlock(blocks.StructBlock):
    """A contest (prize draw) on a landing page: what a visitor needs to take part and,
    after the draw, who won and how to check it. Read at render time through
    ``contest_public.public_view`` (what the public contest page shows), in the page's
    language; a contest that was never opened shows nothing."""

    contest = SnippetChooserBlock("parrain.Contest", label=_("contest"))
    heading = blocks.CharBlock(
        label=_("heading"),
        required=False,
        max_length=120,
        help_text=_("Empty shows the contest's public name."),
    )

    class Meta:
        icon = "trophy"
        label = _("Contest")
        template = "parrain_wagtail/blocks/contest.html"

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context=parent_context)
        contest = value.get("contest")
        if contest is None or not contest_public.is_public(contest):
            context["view"] = None
            return context
        language = page_language(parent_context)
        view = contest_public.public_view(contest, language)
        context.update(
            language=language,
            view=view,
            contest=contest,
            heading=value.get("heading") or view.name,
            script=countdown_script(parent_context) if view.countdown_to else "",
        )
        return context


class RulesBlock(blocks.StructBlock):
    heading = blocks.CharBlock(
        label=_("heading"),
        required=False,
        max_length=120,
        help_text=_('Empty shows "Program rules".'),
    )
    body = blocks.RichTextBlock(label=_("rules"))

    class Meta:
        icon = "list-ol"
        label = _("Program rules")
        template = "parrain_wagtail/blocks/rules.html"

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context=parent_context)
        with translation.override(page_language(parent_context)):
            context["heading"] = value.get("heading") or str(_("Program rules"))
        return context


class LegalNoticeBlock(blocks.StructBlock):
    body = blocks.RichTextBlock(label=_("legal notice"), features=["bold", "italic", "link"])

    class Meta:
        icon = "info-circle"
        label = _("Legal notice")
        template = "parrain_wagtail/blocks/legal.html"


class LandingPageBlocks(blocks.StreamBlock):
    hero = HeroBlock()
    rich_text = blocks.RichTextBlock(label=_("Text"), icon="pilcrow")
    offer = OfferBlock()
    widget = ReferralWidgetBlock()
    badges = BadgesBlock()
    contest = ContestBlock()
    rules = RulesBlock()
    legal_notice = LegalNoticeBlock()
