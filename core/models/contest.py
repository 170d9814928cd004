"""Contests (prize draws): tickets earned by referral activity, a provably fair draw.

Life: ``draft`` → ``open`` (needs rules; a secret server seed is made and its SHA-256
``commitment`` published) → ``drawn`` (entries frozen into ``ContestEntry`` rows and their
file hashed, the owner types the public value, winners picked by
``parrain.core.draw_verify``; the seed is then published). ``cancelled`` from draft or open.
Each prize unit goes to one ``ContestWinner``; an unclaimed prize is redrawn by the next pick
of the same chain. The algorithm is specified in ``core/draw_verify.py``.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .badge import Badge
from .contact import Contact
from .program import Program, RewardRule


def _public_id() -> str:
    return secrets.token_urlsafe(9)


class ContestStatus(models.TextChoices):
    # A context: "Open" alone is the verb on buttons ("Ouvrir"), here it is a state ("Ouvert").
    DRAFT = "draft", pgettext_lazy("contest status", "Draft")
    OPEN = "open", pgettext_lazy("contest status", "Open")
    DRAWN = "drawn", pgettext_lazy("contest status", "Drawn")
    CANCELLED = "cancelled", pgettext_lazy("contest status", "Cancelled")


class Participants(models.TextChoices):
    REFERRERS = "referrers", _("Referrers")
    REFEREES = "referees", _("Invited friends")
    BOTH = "both", _("Referrers and invited friends")


class TicketSource(models.TextChoices):
    INVITATION_SENT = "invitation_sent", _("One ticket per invitation sent")
    FRIEND_CONVERTED = "friend_converted", _("One ticket per friend who became a customer")
    REFERRAL_VALIDATED = "referral_validated", _("One ticket per validated referral")
    LOYALTY_ACTION = "loyalty_action", _("One ticket per loyalty action of a kind")
    BADGE_HELD = "badge_held", _("A fixed number of tickets for holding a badge")


class Contest(models.Model):
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="contests"
    )
    public_id = models.CharField(max_length=16, unique=True, default=_public_id, editable=False)
    name = models.CharField(_("name"), max_length=120)
    names = models.JSONField(_("public name per language"), default=dict, blank=True)
    rules_texts = models.JSONField(_("rules per language"), default=dict, blank=True)
    rules_url = models.URLField(_("rules page URL"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ContestStatus.choices, default=ContestStatus.DRAFT
    )
    entries_start = models.DateTimeField(_("entries from"))
    entries_end = models.DateTimeField(_("entries until"))
    draw_at = models.DateTimeField(_("draw date"))
    participants = models.CharField(
        _("who takes part"),
        max_length=10,
        choices=Participants.choices,
        default=Participants.REFERRERS,
    )
    ticket_source = models.CharField(
        _("tickets for"),
        max_length=20,
        choices=TicketSource.choices,
        default=TicketSource.FRIEND_CONVERTED,
    )
    loyalty_kind = models.CharField(
        _("loyalty action kind"),
        max_length=40,
        blank=True,
        help_text=_("For loyalty-action tickets: the kind (or the custom action's name)."),
    )
    badge = models.ForeignKey(
        Badge,
        on_delete=models.RESTRICT,
        verbose_name=_("badge"),
        null=True,
        blank=True,
        related_name="contests",
    )
    badge_tickets = models.PositiveIntegerField(_("tickets for holding the badge"), default=1)
    ticket_cap = models.PositiveIntegerField(
        _("tickets per person at most"), default=0, help_text=_("0 means no cap.")
    )
    opt_in_required = models.BooleanField(_("participants must opt in"), default=False)
    public_value_source = models.CharField(
        _("source of the public value"),
        max_length=255,
        blank=True,
        help_text=_(
            "Named in the rules, fixed before opening, e.g. “drand round 5000000” or "
            "“EuroMillions draw of 24 December”."
        ),
    )
    # Provably fair draw: see core/draw_verify.py.
    server_seed = models.CharField(max_length=64, blank=True, editable=False)  # secret until drawn
    commitment = models.CharField(
        _("commitment (SHA-256)"), max_length=64, blank=True, editable=False
    )
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True, editable=False)
    public_value = models.CharField(_("public value"), max_length=255, blank=True, editable=False)
    entries_hash = models.CharField(
        _("entries file SHA-256"), max_length=64, blank=True, editable=False
    )
    # Set when the entries are frozen, at the end of the entry period (the periodic task
    # freeze_contest_entries), before the public value exists: the owner cannot shape the
    # file once the public value is known. A draw freezes them itself if the task did not.
    entries_frozen_at = models.DateTimeField(
        _("entries frozen"), null=True, blank=True, editable=False
    )
    entries_count = models.PositiveIntegerField(default=0, editable=False)
    tickets_total = models.PositiveBigIntegerField(default=0, editable=False)
    drawn_at = models.DateTimeField(_("drawn"), null=True, blank=True, editable=False)
    algorithm = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering = ["-entries_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(entries_end__gt=models.F("entries_start"))
                & Q(draw_at__gte=models.F("entries_end")),
                name="parrain_contest_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ContestPrize(models.Model):
    contest = models.ForeignKey(
        Contest, on_delete=models.CASCADE, verbose_name=_("contest"), related_name="prizes"
    )
    position = models.PositiveIntegerField(_("rank"), default=1)
    label = models.CharField(_("label"), max_length=160)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    reward_rule = models.ForeignKey(
        RewardRule,
        on_delete=models.RESTRICT,
        verbose_name=_("reward"),
        null=True,
        blank=True,
        related_name="prizes",
        help_text=_("Fulfilled like any reward. Empty: a physical prize handled by hand."),
    )

    class Meta:
        verbose_name = _("prize")
        verbose_name_plural = _("prizes")
        ordering = ["contest", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.label} × {self.quantity}"


class ContestEntry(models.Model):
    """One line of the frozen entries file: a pseudonymous entrant and their tickets.

    Rows are written once at the draw, in file order (``position``); an erased contact keeps
    the row (its ``entrant`` never names anyone), so the published hash still verifies.
    """

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField()
    entrant = models.CharField(_("entrant"), max_length=32)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, related_name="contest_entries"
    )
    tickets = models.PositiveIntegerField(_("tickets"))

    class Meta:
        verbose_name = _("contest entry")
        verbose_name_plural = _("contest entries")
        constraints = [
            models.UniqueConstraint(fields=["contest", "position"], name="parrain_entry_position"),
            models.UniqueConstraint(fields=["contest", "entrant"], name="parrain_entry_entrant"),
        ]

    def __str__(self) -> str:
        return f"{self.entrant}: {self.tickets}"


class WinnerStatus(models.TextChoices):
    DRAWN = "drawn", _("Drawn")
    NOTIFIED = "notified", _("Notified")
    CLAIMED = "claimed", _("Prize delivered")
    UNCLAIMED = "unclaimed", _("Unclaimed, redrawn")


class ContestWinner(models.Model):
    """Pick ``pick`` of the draw chain, for one unit of one prize."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="winners")
    prize = models.ForeignKey(ContestPrize, on_delete=models.RESTRICT, related_name="winners")
    unit = models.PositiveIntegerField(help_text="0-based unit of the prize's quantity")
    pick = models.PositiveIntegerField(help_text="index in the draw chain (redraws continue it)")
    entry = models.ForeignKey(ContestEntry, on_delete=models.RESTRICT, related_name="wins")
    status = models.CharField(
        _("status"), max_length=10, choices=WinnerStatus.choices, default=WinnerStatus.DRAWN
    )
    drawn_at = models.DateTimeField(_("drawn"), default=timezone.now)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("contest winner")
        verbose_name_plural = _("contest winners")
        ordering = ["contest", "pick"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "pick"], name="parrain_winner_pick"),
            models.UniqueConstraint(
                fields=["prize", "unit"],
                condition=~Q(status="unclaimed"),
                name="parrain_winner_one_live_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prize} #{self.unit + 1}: {self.entry.entrant}"


class ContestOptIn(models.Model):
    """A contact's agreement to take part (contests with ``opt_in_required``)."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="opt_ins")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="contest_opt_ins")
    opted_in_at = models.DateTimeField(_("opted in"), default=timezone.now)

    class Meta:
        verbose_name = _("contest opt-in")
        verbose_name_plural = _("contest opt-ins")
        constraints = [
            models.UniqueConstraint(fields=["contest", "contact"], name="parrain_contest_opt_in")
        ]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.contest}"
