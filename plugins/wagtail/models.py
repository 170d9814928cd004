"""The referral landing page.

Wagtail 8 lets a project swap the base ``Page`` model (``WAGTAIL_PAGE_MODEL``). A reusable
app cannot make its page type inherit from a base that is chosen later, so, as Wagtail's
guide for reusable apps recommends, everything lives in :class:`ReferralLandingPageMixin`
(an abstract model) and :class:`ReferralLandingPage` is only defined when the base page
is Wagtail's own. A project with a custom base page declares its landing page type itself::

    class LandingPage(ReferralLandingPageMixin, BasePage):
        content_panels = BasePage.content_panels + ReferralLandingPageMixin.landing_panels
"""

from __future__ import annotations

from typing import Any

import swapper
from django.db import models
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import PreviewableMixin

from parrain.core.models.choices import MessageKind

from .blocks import LandingPageBlocks
from .email_blocks import EmailBlocks
from .panels import ProgramPanel
from .permissions import acting_as

swapper.set_app_prefix("wagtailcore", "wagtail")

#: The languages the shipped templates exist in.
EMAIL_LANGUAGES = [("fr", "Français"), ("en", "English")]

#: True when the project keeps Wagtail's own ``Page`` as the base page model.
DEFAULT_BASE_PAGE = not swapper.is_swapped("wagtailcore", "Page")


class ReferralLandingPageMixin(models.Model):
    """A page that presents one referral program: hero, offer, widget, rules, legal notice."""

    program = models.ForeignKey(
        "parrain.Program",
        verbose_name=_("referral program"),
        null=True,
        blank=True,  # editors who may not change programs create pages without one
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Publishing the page makes it the landing page of this program."),
    )
    body = StreamField(LandingPageBlocks(), verbose_name=_("content"), blank=True)

    landing_panels = [ProgramPanel("program"), FieldPanel("body")]
    subpage_types: list[str] = []
    template = "parrain_wagtail/referral_landing_page.html"

    class Meta:
        abstract = True

    @classmethod
    def can_create_at(cls, parent: Any) -> bool:
        """Anywhere in a site, never as a site root (under the tree's root)."""
        return super().can_create_at(parent) and not parent.is_root()

    # The user behind a page action made in code, for the program changes it brings
    # (receivers.py checks their permission).
    def publish(self, revision: Any, user: Any = None, **kwargs: Any) -> Any:
        with acting_as(user):
            return super().publish(revision, user=user, **kwargs)  # type: ignore[misc]

    def unpublish(self, *args: Any, user: Any = None, **kwargs: Any) -> Any:
        with acting_as(user):
            return super().unpublish(*args, user=user, **kwargs)  # type: ignore[misc]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        with acting_as(kwargs.get("user")):
            return super().delete(*args, **kwargs)

    def serve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """In the visitor's language when the program speaks it: their translation of the
        page when there is one, else the offer, widget and other program blocks in it."""
        from .visitor_language import translation_for, visitor_language

        translated = translation_for(self, request)
        if translated is not None:
            return HttpResponseRedirect(translated.url)
        language = visitor_language(self, request)
        request.parrain_language = language
        with translation.override(language):
            response = super().serve(request, *args, **kwargs)  # type: ignore[misc]
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)  # type: ignore[misc]
        context["parrain_language"] = getattr(request, "parrain_language", "")
        return context


if DEFAULT_BASE_PAGE:
    from wagtail.models import Page

    class ReferralLandingPage(ReferralLandingPageMixin, Page):  # noqa: DJ008 - Page has __str__
        content_panels = Page.content_panels + ReferralLandingPageMixin.landing_panels

        class Meta:
            verbose_name = _("referral landing page")
            verbose_name_plural = _("referral landing pages")


class EmailDesign(PreviewableMixin, models.Model):
    """An email of a program drawn with blocks in Wagtail: one per kind and language.

    Saving it writes the program's core ``MessageTemplate`` (email channel) with the blocks
    turned into HTML (``email_design.publish``); the design stays here so the editor can
    reopen it as blocks. Wagtail's live preview shows the email with example values.
    """

    program = models.ForeignKey(
        "parrain.Program",
        verbose_name=_("program"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("message"), max_length=30, choices=MessageKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=EMAIL_LANGUAGES)
    subject = models.CharField(
        _("subject"),
        max_length=200,
        help_text=_("Variables are written {{ name }}, for example {{ shop_name }}."),
    )
    body = StreamField(EmailBlocks(), verbose_name=_("content"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("email design")
        verbose_name_plural = _("email designs")
        ordering = ["program", "kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "language"], name="parrain_wagtail_email_design_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"

    preview_modes = [("", _("Email")), ("text", _("Text part"))]

    def serve_preview(self, request: Any, mode_name: str) -> Any:
        from .email_design import preview_response

        return preview_response(self, mode_name)
