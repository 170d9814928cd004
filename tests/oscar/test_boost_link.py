"""A guest who clicks a share link during a boost and checks out after it ended is invited
at the click: the referral carries the boosted reward (decision 0008)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from parrain.core.models import Referral
from parrain.core.services.enrolment import enrol_referrer
from tests.core.boost_helpers import make_boost, paris

from .conftest import shopper_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

START, END = paris(2026, 12, 5), paris(2026, 12, 8)


def test_link_clicked_during_boost_checkout_after_end_is_boosted(
    program: Any, product: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(paris(2026, 12, 1), tick=False):
        make_boost(program, START, END)
    code = enrol_referrer(program, "alice@example.com").code
    guest = shopper_for()
    clicked = START + timedelta(hours=3)
    with time_machine.travel(clicked, tick=False):
        assert guest.client.get(f"/r/{code}").status_code == 302
    with time_machine.travel(END + timedelta(days=1)):
        guest.visit("/shop/")
        guest.add_to_basket(product)
        with django_capture_on_commit_callbacks(execute=True):
            guest.checkout(guest_email="invitee@example.net")
    referral = Referral.objects.get(program=program, referee__email="invitee@example.net")
    assert referral.invited_at == clicked
    assert Decimal(referral.referrer_terms["value"]) == 20
    assert referral.referrer_terms["source"] == "boost"
