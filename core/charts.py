"""Small inline SVG line charts for the dashboards of every adapter: no JavaScript, no CDN."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .formats import format_money

WIDTH, HEIGHT, PAD_X, PAD_Y = 720, 200, 48, 24
CHAR_WIDTH = 7  # of an axis label's character at font-size 12, a little generous
#: Default palette: blue, then a contrasting orange; adapters pass their admin's colours.
COLOURS = ("#1f77b4", "#e9622e")

Number = int | float | Decimal


def _points(values: Sequence[Number], top: float, left: int) -> str:
    inner_w, inner_h = WIDTH - left - PAD_X, HEIGHT - 2 * PAD_Y
    step = inner_w / max(len(values) - 1, 1)
    return " ".join(
        f"{left + i * step:.1f},{PAD_Y + inner_h - (float(v) / top) * inner_h:.1f}"
        for i, v in enumerate(values)
    )


def axis_label(value: Number, currency: str = "") -> str:
    """A y-axis value as the reader writes it: money with its currency (« 517,89 € »,
    €517.89), a count with thousands separators (« 12 345 », 12,345)."""
    if currency:
        return format_money(Decimal(str(value)).quantize(Decimal("0.01")), currency)
    places = 0 if float(value).is_integer() else 2
    return number_format(Decimal(str(value)), places, use_l10n=True, force_grouping=True)


def line_chart(
    title: str,
    days: Sequence[date],
    lines: Sequence[tuple[str, Sequence[Number]]],
    colours: Sequence[str] = COLOURS,
    currency: str = "",
) -> SafeString:
    """One polyline per ``(label, values)``; the y axis runs from 0 to the largest value,
    written in the active language (an amount in ``currency`` when given)."""
    top = max([float(v) for _, values in lines for v in values] + [1.0])
    top_label = axis_label(top, currency)
    left = max(PAD_X, CHAR_WIDTH * len(top_label) + 12)  # room for « 15 067,16 € »
    polylines = format_html_join(
        "",
        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title>'
        "</polyline>",
        (
            (colours[i % len(colours)], _points(values, top, left), label)
            for i, (label, values) in enumerate(lines)
        ),
    )
    legend = format_html_join(
        "",
        '<tspan fill="{}" dx="12">■</tspan><tspan dx="4">{}</tspan>',
        ((colours[i % len(colours)], label) for i, (label, _) in enumerate(lines)),
    )
    first = date_format(days[0], "SHORT_DATE_FORMAT") if days else ""
    last = date_format(days[-1], "SHORT_DATE_FORMAT") if days else ""
    bottom = HEIGHT - PAD_Y
    return format_html(
        '<svg class="parrain-chart" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'aria-label="{title}" xmlns="http://www.w3.org/2000/svg" font-size="12" '
        'fill="currentColor"><title>{title}</title>'
        '<line x1="{px}" y1="{py}" x2="{px}" y2="{bottom}" stroke="currentColor" '
        'stroke-opacity=".3"/>'
        '<line x1="{px}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="currentColor" '
        'stroke-opacity=".3"/>'
        '<text x="{lx}" y="{ty}" text-anchor="end">{top}</text>'
        '<text x="{lx}" y="{bottom}" text-anchor="end">{zero}</text>'
        '<text x="{px}" y="{dy}">{first}</text>'
        '<text x="{right}" y="{dy}" text-anchor="end">{last}</text>'
        '<text x="{px}" y="14">{legend}</text>{polylines}</svg>',
        w=WIDTH,
        h=HEIGHT,
        title=title,
        px=left,
        py=PAD_Y,
        bottom=bottom,
        right=WIDTH - PAD_X,
        lx=left - 6,
        ty=PAD_Y + 4,
        top=top_label,
        zero=axis_label(0, currency),
        dy=HEIGHT - 6,
        first=first,
        last=last,
        legend=legend,
        polylines=polylines,
    )
