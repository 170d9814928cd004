"""Boosted offers: another reward for a time window of a program.

A boost replaces the referrer reward (and optionally the referee welcome offer) for every
invitation *issued* between ``starts_at`` (included) and ``ends_at`` (excluded). The terms
are frozen into the invitation (decision 0002), so a friend who orders after the end still
earns the boosted reward; an invitation issued after the end gets the normal offer again.
Boosts of one program never overlap (``core.services.boosts`` validates it). The rules a
boost uses are its own ``RewardRule`` rows: ``Program.rule`` never returns them.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .program import Program, RewardRule


class Boost(models.Model):
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="boosts"
    )
    name = models.CharField(_("name"), max_length=120, help_text=_("For the shop team only."))
    labels = models.JSONField(
        _("label per language"),
        default=dict,
        blank=True,
        help_text=_("What customers read, e.g. “Double reward until Sunday”."),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    referrer_rule = models.ForeignKey(
        RewardRule,
        on_delete=models.RESTRICT,
        verbose_name=_("referrer reward during the boost"),
        related_name="boosts_as_referrer",
    )
    referee_rule = models.ForeignKey(
        RewardRule,
        on_delete=models.RESTRICT,
        verbose_name=_("welcome offer during the boost"),
        related_name="boosts_as_referee",
        null=True,
        blank=True,
        help_text=_("Empty: friends get the normal welcome offer."),
    )
    contest = models.ForeignKey(
        "parrain.Contest",
        on_delete=models.SET_NULL,
        verbose_name=_("contest"),
        related_name="boosts",
        null=True,
        blank=True,
    )
    # Set once by the periodic task when it emits boost.started / boost.ended.
    started_announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("boosted offer")
        verbose_name_plural = _("boosted offers")
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["program", "starts_at", "ends_at"], name="parrain_boost_window")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="parrain_boost_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_running(self, at=None) -> bool:  # type: ignore[no-untyped-def]
        at = at or timezone.now()
        return self.starts_at <= at < self.ends_at

    def has_started(self, at=None) -> bool:  # type: ignore[no-untyped-def]
        return self.starts_at <= (at or timezone.now())
