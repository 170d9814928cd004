"""One chart per daily series, captioned with its total, drawn by the core's SVG charts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString

from parrain.core.charts import line_chart
from parrain.core.services.stats import BadgeHoldersOverTime


def series_chart(title: str, days: Sequence[date], values: Sequence[int | Decimal]) -> SafeString:
    return format_html(
        '<figure class="parrain-chart"><figcaption><strong>{}</strong> · Σ {}</figcaption>'
        "{}</figure>",
        title,
        sum(values) if values else 0,
        line_chart(title, days, [(title, values)]),
    )


def holders_chart(title: str, over_time: BadgeHoldersOverTime) -> SafeString:
    """One line per badge, drawn in the badge's own colour."""
    lines = [(line.name, line.counts) for line in over_time.badges]
    colours = [line.colour for line in over_time.badges] or ["#1f77b4"]
    return format_html(
        '<figure class="parrain-chart"><figcaption><strong>{}</strong></figcaption>{}</figure>',
        title,
        line_chart(title, over_time.days, lines, colours),
    )
