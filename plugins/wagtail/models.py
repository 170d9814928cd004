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
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField

from .blocks import LandingPageBlocks
from .panels import ProgramPanel
from .permissions import acting_as

swapper.set_app_prefix("wagtailcore", "wagtail")

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


if DEFAULT_BASE_PAGE:
    from wagtail.models import Page

    class ReferralLandingPage(ReferralLandingPageMixin, Page):  # noqa: DJ008 - Page has __str__
        content_panels = Page.content_panels + ReferralLandingPageMixin.landing_panels

        class Meta:
            verbose_name = _("referral landing page")
            verbose_name_plural = _("referral landing pages")
