"""The badge holders' chart, drawn by the core's SVG charts (the referral figures' charts
come with the shared dashboard, core/dashboard.py)."""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

from parrain.core.charts import line_chart
from parrain.core.services.stats import BadgeHoldersOverTime


def holders_chart(title: str, over_time: BadgeHoldersOverTime) -> SafeString:
    """One line per badge, drawn in the badge's own colour."""
    lines = [(line.name, line.counts) for line in over_time.badges]
    colours = [line.colour for line in over_time.badges] or ["#1f77b4"]
    return format_html(
        '<figure class="parrain-chart"><figcaption><strong>{}</strong></figcaption>{}</figure>',
        title,
        line_chart(title, over_time.days, lines, colours),
    )
