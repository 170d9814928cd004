"""What the widget ran into on shops' pages, kept for the program's "recent widget errors"."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .program import Program


class RefusedOrigin(models.Model):
    """A page origin the public API refused for this program (not in its allowed origins).

    One row per origin, the most recent few per program (``services.widget_errors``): the
    shop owner sees which page tried to show the widget, when, and how often.
    """

    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        verbose_name=_("program"),
        related_name="refused_origins",
    )
    origin = models.CharField(_("page origin"), max_length=200)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    count = models.PositiveIntegerField(_("refused requests"), default=0)

    class Meta:
        verbose_name = _("refused widget origin")
        verbose_name_plural = _("recent widget errors: page origins not allowed")
        ordering = ("-last_seen", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "origin"], name="parrain_refused_origin_unique"
            )
        ]
        indexes = [
            models.Index(fields=["program", "-last_seen"], name="parrain_refused_origin_recent")
        ]

    def __str__(self) -> str:
        return self.origin
