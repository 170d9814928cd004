"""One small inline SVG line chart per series: no script, no CDN, readable without colour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD = 600, 140, 24


def line_chart(title: str, days: Sequence[date], values: Sequence[int | Decimal]) -> SafeString:
    """An SVG polyline of ``values`` over ``days``, with its title, peak and total."""
    top = max((float(v) for v in values), default=0.0) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points = " ".join(
        f"{PAD + i * step:.1f},{HEIGHT - PAD - float(v) / top * (HEIGHT - 2 * PAD):.1f}"
        for i, v in enumerate(values)
    )
    total = sum(values) if values else 0
    first = days[0].isoformat() if days else ""
    last = days[-1].isoformat() if days else ""
    return format_html(
        '<figure class="parrain-chart"><figcaption><strong>{}</strong> · {} {}</figcaption>'
        '<svg role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" height="{}">'
        "<title>{}</title>"
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>'
        '<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{}"/>'
        '<text x="{}" y="{}" font-size="11">{}</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
        '<text x="{}" y="14" font-size="11">max {}</text>'
        "</svg></figure>",
        title,
        "Σ",
        total,
        title,
        WIDTH,
        HEIGHT,
        HEIGHT,
        title,
        PAD,
        HEIGHT - PAD,
        WIDTH - PAD,
        HEIGHT - PAD,
        points,
        PAD,
        HEIGHT - 6,
        first,
        WIDTH - PAD,
        HEIGHT - 6,
        last,
        PAD,
        top if values else 0,
    )
