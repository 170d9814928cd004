"""``parrain_oscar_demo``: the sandbox shop has products, a referrer and a working front page."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from oscar.core.loading import get_model

from parrain.core.models import Contact

Product = get_model("catalogue", "Product")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_demo_shop_seed_is_rerunnable_and_the_front_page_lists_products(program: Any) -> None:
    out = StringIO()
    call_command("parrain_oscar_demo", stdout=out)
    call_command("parrain_oscar_demo", stdout=out)

    assert "6 new products" in out.getvalue() and "0 new products" in out.getvalue()
    assert Product.objects.count() == 6
    alice = Contact.objects.get(program=program, email="alice@example.com")
    assert alice.referrer_code
    program.refresh_from_db()
    assert program.landing_url.endswith("/shop/")
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/shop/").content.decode()
    assert "Lampe de chevet Opaline" in page
    assert "€39.00" in page and "/shop/basket/add/" in page
    assert 'data-parrain-widget="referrer"' in page
