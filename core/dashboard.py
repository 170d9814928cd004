"""The referral dashboard, one component for every admin (Django admin, Oscar, Wagtail).

``dashboard_context`` builds what ``parrain/dashboard/dashboard.html`` shows — the seed's
two stages (invitation, validation), the seven headline figures as cards with their change
against the previous period of the same length, two daily charts, the top referrers and the
referred revenue per channel — from ``stats.page_data`` and two small queries. Each admin
wraps it in its own page and passes its palette; none computes a figure of its own.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .charts import COLOURS, line_chart
from .formats import format_money
from .models import Program
from .services import stats

DEFAULT_DAYS = 30
MAX_DAYS = 366


class DashboardRangeForm(forms.Form):
    """The range picker: the last 30 days by default, at most 366 days (as the API)."""

    start = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
    )
    end = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
    )

    def __init__(self, *args: Any, program: Program | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        program = data.get("program") or self.program  # Wagtail's form picks the program
        with in_program_zone(program):
            end = data.get("end") or timezone.localdate()  # today where the program is
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a range of at most %(days)s days.") % {"days": MAX_DAYS}
            )
        data.update(start=start, end=end)
        return data


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    value: int | Decimal | None
    is_rate: bool
    previous: int | Decimal | None
    detail: str = ""

    @property
    def percent(self) -> Decimal | None:
        return None if self.value is None else Decimal(self.value) * 100

    @property
    def change(self) -> Decimal | None:
        """Rates: the difference in percentage points; counts: the change in per cent."""
        if self.value is None or self.previous is None:
            return None
        if self.is_rate:
            return (Decimal(self.value) - Decimal(self.previous)) * 100
        if not self.previous:
            return None
        return (Decimal(self.value) - self.previous) * 100 / self.previous

    @property
    def trend(self) -> str:
        change = self.change
        return "" if change is None else ("up" if change > 0 else "down" if change < 0 else "flat")


def _cards(now: stats.DashboardFigures, before: stats.DashboardFigures | None) -> list[Card]:
    def was(key: str) -> Any:
        return getattr(before, key) if before else None

    def count(key: str, label: str) -> Card:
        return Card(key, str(label), getattr(now, key), False, was(key))

    def ratio(key: str, label: str, detail: str = "") -> Card:
        return Card(key, str(label), getattr(now, key), True, was(key), detail)

    return [
        count("influencers", _("Influencers")),
        count("invited_referees", _("Invited referees")),
        count("converted_referees", _("Converted referees")),
        count("sponsors", _("Sponsors")),
        ratio(
            "conversion_rate",
            _("Conversion rate"),
            str(_("%(converted)s of %(invited)s invited referees became customers"))
            % {"converted": now.invited_referees_converted, "invited": now.invited_referees},
        ),
        ratio(
            "referral_rate",
            _("Referral rate"),
            str(_("%(referred)s of %(revenue)s revenue"))
            % {
                "referred": format_money(now.referred_revenue, now.currency),
                "revenue": format_money(now.revenue, now.currency),
            },
        ),
        ratio(
            "opt_in_rate",
            _("Opt-in rate"),
            str(_("%(consented)s of %(invited)s invited referees agree to be recontacted"))
            % {"consented": now.opt_in_consented, "invited": now.invited_referees},
        ),
    ]


def in_program_zone(program: Program | None) -> AbstractContextManager[None]:
    """Days (``start``/``end``, the series) are the program's local days on every dashboard,
    whatever the site's ``TIME_ZONE``: the daily summary answers in that zone only
    (core/day_summary.py), and a page shows one zone."""
    if program is None:
        return nullcontext()
    return timezone.override(program.time_zone)


def dashboard_context(
    program: Program, start: date, end: date, colours: tuple[str, ...] = COLOURS
) -> dict[str, Any]:
    """Everything ``parrain/dashboard/dashboard.html`` shows for one program and range, its
    days being the program's local days (``in_program_zone``)."""
    with in_program_zone(program):
        return _dashboard_context(program, start, end, colours)


def _dashboard_context(
    program: Program, start: date, end: date, colours: tuple[str, ...]
) -> dict[str, Any]:
    data = stats.page_data(program, start, end)
    cards = _cards(data.figures, data.previous)
    points = data.series
    days = [point.day for point in points]
    return {
        "program": program,
        "figures": data.figures,
        "previous": data.previous,
        "stages": [
            (_("Invitation stage"), cards[:2]),
            (_("Validation stage"), cards[2:4]),
            (_("Rates"), cards[4:]),
        ],
        "cards": cards,
        "series": points,
        "activity_chart": line_chart(
            str(_("Invitations and conversions per day")),
            days,
            [
                (str(_("Invited referees")), [p.invited_referees for p in points]),
                (str(_("Converted referees")), [p.converted_referees for p in points]),
            ],
            colours,
        ),
        "revenue_chart": line_chart(
            str(_("Revenue per day")),
            days,
            [
                (str(_("Revenue")), [p.revenue for p in points]),
                (str(_("Referred revenue")), [p.referred_revenue for p in points]),
            ],
            colours,
            currency=data.figures.currency or program.currency,
        ),
        "top_referrers": stats.top_referrers(program, start, end),
        "channels": stats.revenue_by_channel(program, start, end),
    }
