"""The setup checklist (issue 15 §2): the seed's setup steps, each with its state.

Seed 001 walks a new shop owner through: the offer (step 2), the landing page linked to
the program (3), the widget placed on a page (4), the share channels (5), the scenario
(6), the messages (7) and the contacts (8). :func:`setup_checklist` says for each whether
it is done, in one query, and each admin passes the links to its own pages for it.

What "done" means, step by step (docs/howto-shop-owner.md says the same to the owner):

- **offer**: an active referrer reward and an active welcome offer (the program's normal
  offer, not a badge's or a boost's);
- **landing**: the program's landing URL is set. Publishing a Wagtail landing page sets
  it and unpublishing clears it (plugins/wagtail/landing.py); elsewhere it is the owner's
  own page, which the server cannot see being published;
- **widget**: the public API answered the widget's configuration request from a page of
  an allowed origin at least once (:func:`note_widget_seen`). Previews in the admins send
  no referrer, so they do not count;
- **channels**: at least one share channel is on;
- **scenario**: at least one active scenario step (new programs get the default one);
- **messages**: the owner changed at least one message, or marked the shipped ones as
  reviewed (:func:`mark_messages_reviewed`): the defaults work as they are, and nothing
  else tells that the owner read them;
- **contacts**: a contact import finished (file, regular import, server API, Oscar), a
  regular import is on, or the shop is connected: orders arrive, or contacts carrying the
  shop's customer id (server API, identity tokens, Oscar).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import audit
from ..models import (
    Contact,
    ContactImport,
    ImportSchedule,
    MessageTemplate,
    Order,
    Program,
    RewardRule,
    ScenarioStep,
)
from ..models.choices import Channel, ImportStatus, Side
from ..models.program import NORMAL_OFFER

STEPS = ("offer", "landing", "widget", "channels", "scenario", "messages", "contacts")
#: The field of the program editor (core/forms/program.py) where a step is done, by the id
#: its widget renders in the three admins: a checklist link lands on it.
STEP_FIELDS = {
    "offer": "id_referrer_kind",
    "landing": "id_landing_url",
    "channels": "id_share_channels",
}
SEEN_EVERY = 60  # seconds between two writes of the widget's "last seen"
# Per program, when this process next asks the shared cache whether to stamp it: the
# widget's configuration is requested on every page view, and a cache round trip each
# time cost it a third of its throughput (issue 16 §5).
_seen_asked_until: dict[int, float] = {}


@dataclass(frozen=True)
class SetupStep:
    key: str
    title: str
    done: bool
    detail: str
    url: str = ""
    action: str = ""


@dataclass(frozen=True)
class SetupChecklist:
    program: Program
    steps: list[SetupStep]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return all(step.done for step in self.steps)


def _facts(program: Program) -> dict[str, Any]:
    """Everything the steps need that is not on the program row, in one query."""
    mine = {"program": OuterRef("pk")}

    def offer(side: str) -> Exists:
        return Exists(RewardRule.objects.filter(side=side, **mine, **NORMAL_OFFER))

    row = (
        Program.objects.filter(pk=program.pk)
        .annotate(
            referrer_offer=offer(Side.REFERRER),
            welcome_offer=offer(Side.REFEREE),
            scenario_on=Exists(ScenarioStep.objects.filter(is_active=True, **mine)),
            messages_changed=Exists(MessageTemplate.objects.filter(**mine)),
            imported=Exists(ContactImport.objects.filter(status=ImportStatus.DONE, **mine)),
            scheduled=Exists(ImportSchedule.objects.filter(is_active=True, **mine)),
            has_orders=Exists(Order.objects.filter(**mine)),
            shop_contacts=Exists(Contact.objects.filter(external_id__isnull=False, **mine)),
        )
        .values(
            "referrer_offer",
            "welcome_offer",
            "scenario_on",
            "messages_changed",
            "imported",
            "scheduled",
            "has_orders",
            "shop_contacts",
        )
        .first()
    )
    return row or {}


def field_anchor(step: str) -> str:
    """``#id_…``: the anchor of the program editor's field where ``step`` is done."""
    return f"#{STEP_FIELDS[step]}"


def setup_checklist(program: Program, links: Mapping[str, str] | None = None) -> SetupChecklist:
    """The steps of :data:`STEPS` for ``program``; ``links`` maps a step to the page of the
    calling admin where it is done."""
    facts = _facts(program)
    builders = {
        "offer": _offer_step,
        "landing": _landing_step,
        "widget": _widget_step,
        "channels": _channels_step,
        "scenario": _scenario_step,
        "messages": _messages_step,
        "contacts": _contacts_step,
    }
    links = links or {}
    steps = []
    for key in STEPS:
        title, done, detail, action = builders[key](program, facts)
        steps.append(SetupStep(key, title, done, detail, links.get(key, ""), action))
    return SetupChecklist(program, steps)


def _when(moment: Any, program: Program) -> str:
    return date_format(timezone.localtime(moment, program.tz()), "DATETIME_FORMAT")


def _offer_step(program: Program, facts: dict[str, Any]) -> tuple[str, bool, str, str]:
    referrer, welcome = facts.get("referrer_offer"), facts.get("welcome_offer")
    if referrer and welcome:
        detail = _("A referrer reward and a welcome offer for friends are active.")
    elif referrer:
        detail = _("The referrer reward is set; add the friends' welcome offer.")
    elif welcome:
        detail = _("The friends' welcome offer is set; add the referrer reward.")
    else:
        detail = _("Choose what the referrer earns and what the friend gets.")
    return _("Set the offer"), bool(referrer and welcome), detail, _("Edit the offer")


def _landing_step(program: Program, facts: dict[str, Any]) -> tuple[str, bool, str, str]:
    if program.landing_url:
        detail = _("Share links lead to %(url)s.") % {"url": program.landing_url}
    else:
        detail = _(
            "Publish a landing page presenting the offer (visuals, the widget, the rules, "
            "the legal notice) and link it to the program: share links lead there."
        )
    title = _("Publish the landing page and link it")
    return title, bool(program.landing_url), detail, _("Landing page")


def _widget_step(program: Program, facts: dict[str, Any]) -> tuple[str, bool, str, str]:
    seen = program.widget_last_seen_at
    if seen is not None:
        detail = _("Last seen %(when)s on %(origin)s.") % {
            "when": _when(seen, program),
            "origin": program.widget_seen_origin,
        }
    else:
        detail = _(
            "Copy the widget's code into your page; this step is done once the widget has "
            "loaded on a page of an allowed origin."
        )
    return _("Place the widget"), seen is not None, detail, _("Get the widget's code")


def _channels_step(program: Program, facts: dict[str, Any]) -> tuple[str, bool, str, str]:
    labels = dict(Channel.choices)
    chosen = [str(labels[c]) for c in program.share_channels or [] if c in labels]
    if chosen:
        detail = ngettext(
            "%(count)d channel: %(channels)s.", "%(count)d channels: %(channels)s.", len(chosen)
        ) % {"count": len(chosen), "channels": ", ".join(chosen)}
    else:
        detail = _("No channel: referrers can only copy their link.")
    return _("Choose the share channels"), bool(chosen), detail, _("Share channels")


def _scenario_step(program: Program, facts: dict[str, Any]) -> tuple[str, bool, str, str]:
    on = bool(facts.get("scenario_on"))
    if on:
        detail = _("Messages go out automatically after each step of the referral.")
    else:
        detail = _("No active step: no invitation reminder, no reward email goes out.")
    return _("Enable the scenario"), on, detail, _("Scenario")


def _messages_step(program: Program, facts: dict[str, Any]) -> tuple[str, bool, str, str]:
    changed = bool(facts.get("messages_changed"))
    reviewed = program.messages_reviewed_at
    if changed:
        detail = _("You have adapted at least one message.")
    elif reviewed is not None:
        detail = _("Reviewed %(when)s: the shipped messages are used.") % {
            "when": _when(reviewed, program)
        }
    else:
        detail = _(
            "Read the emails and SMS in your brand's words: change them, or mark them as "
            "reviewed if the shipped ones suit you."
        )
    return _("Review the messages"), changed or reviewed is not None, detail, _("Messages")


def _contacts_step(program: Program, facts: dict[str, Any]) -> tuple[str, bool, str, str]:
    if facts.get("imported"):
        detail = _("Contacts have been imported.")
    elif facts.get("scheduled"):
        detail = _("A regular import brings contacts in.")
    elif facts.get("has_orders") or facts.get("shop_contacts"):
        detail = _("Your shop sends its customers and orders.")
    else:
        detail = _(
            "Import your customer file, or connect your shop (Oscar, the server API, "
            "webhooks) so the scenario knows your customers."
        )
    done = any(facts.get(k) for k in ("imported", "scheduled", "has_orders", "shop_contacts"))
    return _("Import or connect your contacts"), done, detail, _("Contacts")


# State changes


def note_widget_seen(program: Program, origin: str) -> None:
    """The widget loaded on a page of ``origin`` (allowed): stamp the program, at most once
    every :data:`SEEN_EVERY` seconds per program (a cache key gates the write). Each process
    asks the cache at most once every :data:`SEEN_EVERY` seconds per program, so the stamp
    lags the last sighting by two minutes at most."""
    now_tick = time.monotonic()
    if _seen_asked_until.get(program.pk, 0.0) > now_tick:
        return
    _seen_asked_until[program.pk] = now_tick + SEEN_EVERY
    if not cache.add(widget_seen_key(program.pk), 1, timeout=SEEN_EVERY):
        return
    now = timezone.now()
    Program.objects.filter(pk=program.pk).update(
        widget_first_seen_at=Coalesce("widget_first_seen_at", Value(now)),
        widget_last_seen_at=now,
        widget_seen_origin=origin[:200],
    )


def widget_seen_key(program_id: int) -> str:
    return f"parrain:widget-seen:{program_id}"


def forget_widget_seen(program_id: int | None = None) -> None:
    """The next sighting of ``program_id``'s widget (of any, with None) is written."""
    if program_id is None:
        _seen_asked_until.clear()
        return
    _seen_asked_until.pop(program_id, None)
    cache.delete(widget_seen_key(program_id))


def mark_messages_reviewed(program: Program, *, actor: str) -> None:
    """The owner read the shipped messages and keeps them: the checklist's step is done."""
    now = timezone.now()
    Program.objects.filter(pk=program.pk).update(messages_reviewed_at=now)
    program.messages_reviewed_at = now
    audit.record(program, "program.messages_reviewed", actor=actor)
