"""``{% load parrain_oscar %}{% parrain_oscar_widget %}``: the shop's referrer widget;
``{{ badge|parrain_badge_name }}``, ``|parrain_badge_image``: a badge in the page's language;
``{{ rule|parrain_reward }}``, ``{{ boost|parrain_boost_label }}``,
``{{ contest|parrain_contest_name }}``: a reward, a boost, a contest in the page's language;
``{{ step|parrain_delay }}``, ``{{ step|parrain_audience }}``: a scenario step's delay and
conditions; ``{{ message.reason|parrain_rule }}``: why a message waited, was dropped or failed.

Renders the program's referrer widget pre-identified for the signed-in customer (identity
token signed server-side), for the order thank-you page and the account area. Renders
nothing when the shop runs no program.
"""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from parrain.core.models import Badge, Boost, Contest, RewardRule, ScenarioStep
from parrain.core.models.choices import Audience, DelayUnit, MessageRule
from parrain.core.services import boosts
from parrain.core.services.badges import image_url
from parrain.core.services.offers import describe, terms_from_rule
from parrain.core.templatetags.parrain import parrain_widget

from ..program import shop_program

register = template.Library()


@register.simple_tag(takes_context=True)
def parrain_oscar_widget(
    context: template.Context, kind: str = "referrer", title: str = "", colour: str = ""
) -> str:
    program = shop_program()
    if program is None:
        return ""
    request = context.get("request")
    user = getattr(request, "user", None)
    return parrain_widget(context, program, kind, identify=user, title=title, colour=colour)


@register.filter
def parrain_badge_name(badge: Badge) -> str:
    """The badge's name in the page's language (falling back as ``Badge.name`` does)."""
    return badge.name(get_language() or "")


@register.filter
def parrain_badge_description(badge: Badge) -> str:
    return badge.description(get_language() or "")


@register.filter
def parrain_badge_image(badge: Badge) -> str:
    """The badge thumbnail's absolute URL, "" when it has no image."""
    return image_url(badge)


def page_language() -> str:
    return get_language() or ""


@register.filter
def parrain_reward(rule: RewardRule | None) -> str:
    """A reward rule in words ("10 EUR off"), in the page's language; "" without a rule."""
    return describe(terms_from_rule(rule), page_language()) if rule is not None else ""


@register.filter
def parrain_boost_label(boost: Boost) -> str:
    """What customers read for the boost, in the page's language."""
    return boosts.label(boost, page_language())


@register.filter
def parrain_contest_name(contest: Contest) -> str:
    """The contest's public name in the page's language (primary subtag), else its name."""
    language = page_language()
    names = contest.names or {}
    for tag in dict.fromkeys((language, language.split("-")[0])):
        if names.get(tag):
            return names[tag]
    return contest.name


@register.simple_tag
def parrain_contest_url(contest: Contest) -> str:
    """The contest's public page (rules, countdown, commitment, then the winners); "" when
    the core's URLs are not mounted."""
    try:
        return reverse("parrain:contest", kwargs={"public_id": contest.public_id})
    except NoReverseMatch:
        return ""


DELAYS = {
    DelayUnit.MINUTES: lambda n: ngettext("%(n)s minute later", "%(n)s minutes later", n),
    DelayUnit.HOURS: lambda n: ngettext("%(n)s hour later", "%(n)s hours later", n),
    DelayUnit.DAYS: lambda n: ngettext("%(n)s day later", "%(n)s days later", n),
}


@register.filter
def parrain_delay(step: ScenarioStep) -> str:
    """ "At once" or "3 days later"."""
    if not step.delay_amount:
        return _("At once")
    return DELAYS[DelayUnit(step.delay_unit)](step.delay_amount) % {"n": step.delay_amount}


@register.filter
def parrain_audience(step: ScenarioStep) -> list[str]:
    """The step's conditions in words."""
    return [str(Audience(value).label) for value in step.audience or [] if value in Audience.values]


@register.filter
def parrain_rule(value: str) -> str:
    """A MessageRule or Audience value in words ("Quiet hours", "Condition no longer met:
    Friend has not ordered yet"); the value itself when it is neither, "" when empty."""
    if value in MessageRule.values:
        return str(MessageRule(value).label)
    if value in Audience.values:
        return _("Condition no longer met: %(condition)s") % {"condition": Audience(value).label}
    return value or ""
