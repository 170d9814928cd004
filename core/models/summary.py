"""The dashboard's daily summary (core/day_summary.py): one program's figures per local day
of its time zone, written by database triggers on PostgreSQL, never by the application."""

from __future__ import annotations

from django.db import models

from .program import Program


class DaySummary(models.Model):
    """Per program and local day: invitations issued, referees converted (live referrals),
    revenue and referred revenue net of refunds. Absent for a day with none of these."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    invitations = models.IntegerField(default=0)
    converted = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    referred = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "day"], name="parrain_daysummary_day"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.day}"


class DayFirsts(models.Model):
    """The invitations of one day grouped by ``gap``: the days since the same person's
    previous invitation (366 for none or longer ago). An invitation of day ``d`` is that
    person's first in a range starting on ``s`` exactly when ``gap > d - s``."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    gap = models.SmallIntegerField()
    referrers = models.IntegerField(default=0)  # invitations with this gap for their referrer
    referees = models.IntegerField(default=0)  # … for their referee
    referees_converted = models.IntegerField(default=0)  # … and the referee became a customer
    referees_consented = models.IntegerField(default=0)  # … and agrees to be recontacted
    referees_answered = models.IntegerField(default=0)  # … and answered the consent question

    class Meta:
        indexes = [
            models.Index(
                fields=["program", "day"],
                include=[
                    "gap",
                    "referrers",
                    "referees",
                    "referees_converted",
                    "referees_consented",
                    "referees_answered",
                ],
                name="parrain_dayfirsts_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.program_id} {self.day} +{self.gap}"


class DayChannel(models.Model):
    """Referred orders (their referral not cancelled) of one day per share channel."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    channel = models.CharField(max_length=12, null=True)
    orders = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["program", "day"], name="parrain_daychannel_day")]

    def __str__(self) -> str:
        return f"{self.program_id} {self.day} {self.channel}"
