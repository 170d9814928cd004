"""``{% parrain_offer %}``: the boosted offer with its end in the program's time zone, and
the normal offer again once it ended (the countdown script swaps them in the page)."""

from __future__ import annotations

import pytest
import time_machine
from django.template import Context, Template
from django.utils import translation

from parrain.core.factories import ProgramFactory

from .boost_helpers import make_boost, paris

pytestmark = pytest.mark.django_db

TEMPLATE = Template("{% load parrain %}{% parrain_offer program 'en' %}")


def _render(program) -> str:  # type: ignore[no-untyped-def]
    with translation.override("en"):
        return TEMPLATE.render(Context({"program": program}))


def test_boosted_offer_with_end_then_normal_offer() -> None:
    with time_machine.travel(paris(2026, 12, 1), tick=False):
        program = ProgramFactory(time_zone="America/New_York")
        make_boost(program, paris(2026, 12, 5), paris(2026, 12, 8))
    with time_machine.travel(paris(2026, 12, 6), tick=False):
        page = _render(program)
    assert "Double reward until Sunday" in page and "€20 off" in page
    assert 'data-parrain-ends-at="2026-12-08T00:00:00+01:00"' in page  # an instant
    assert "Dec. 7, 2026, 6 p.m." in page  # midnight in Paris, shown in New York time
    assert "€10 off" in page  # the normal offer, hidden until the end
    with time_machine.travel(paris(2026, 12, 8), tick=False):
        page = _render(program)
    assert "Double reward" not in page and "data-parrain-ends-at" not in page
    assert "€10 off" in page and "hidden" not in page


def test_unknown_slug_renders_nothing() -> None:
    assert _render("nope").strip() == ""
