"""The dashboards' SVG charts write their axis as the reader does: « 517,89 € » on the
revenue chart in French, €517.89 in English, counts with thousands separators; never the
raw « 517.89 » or « 12345 »."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from parrain.core.charts import line_chart
from parrain.core.dashboard import dashboard_context
from parrain.core.factories import ProgramFactory
from parrain.core.services.orders import OrderData, record_order

DAYS = [date(2026, 12, 1), date(2026, 12, 2)]
AXIS = re.compile(r'<text x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]*)</text>')


def axis(svg: str) -> list[str]:
    """The y axis labels, top then bottom."""
    return AXIS.findall(svg)[:2]


@pytest.mark.parametrize(
    ("language", "expected"), [("fr", ["517,89\u00a0€", "0\u00a0€"]), ("en", ["€517.89", "€0"])]
)
def test_the_revenue_axis_is_money_in_the_readers_format(language: str, expected: list) -> None:
    with translation.override(language):
        svg = line_chart("Revenue", DAYS, [("Revenue", [Decimal("517.89"), 0])], currency="EUR")
    assert axis(svg) == expected


@pytest.mark.parametrize(("language", "top"), [("fr", "12\u202f345"), ("en", "12,345")])
def test_a_count_axis_has_thousands_separators(language: str, top: str) -> None:
    with translation.override(language):
        svg = line_chart("Invitations", DAYS, [("Invited", [12345, 3])])
    assert axis(svg)[0].replace("\u00a0", "\u202f") == top


def test_a_long_amount_keeps_room_on_the_left_of_the_axis() -> None:
    with translation.override("fr"):
        svg = line_chart("Revenue", DAYS, [("Revenue", [Decimal("15067.16"), 1])], currency="EUR")
    label_x = float(re.search(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end">', svg)[1])
    assert label_x >= 7 * len("15 067,16 €")  # the label ends there: all of it is drawn


@pytest.mark.django_db
def test_the_dashboard_revenue_chart_shows_the_programs_currency() -> None:
    program = ProgramFactory(currency="EUR")
    record_order(
        program,
        OrderData(external_id="A-1", email="eve@x.org", amount=Decimal("517.89"), currency="EUR"),
    )
    end = timezone.localdate()
    with translation.override("fr"):
        context = dashboard_context(program, end - timedelta(days=6), end)
    assert axis(context["revenue_chart"])[0] == "517,89\u00a0€"
    assert axis(context["activity_chart"])[0] == "1"
