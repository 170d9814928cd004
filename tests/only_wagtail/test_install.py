"""Parrain in a Wagtail site without Oscar: the landing page, its link and the admin work."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from parrain.plugins.wagtail.factories import create_landing_page
from tests.wagtail.helpers import SITE_ROOT_URL, make_program, site_home

pytestmark = pytest.mark.django_db


def test_no_shop_framework_is_installed() -> None:
    assert apps.is_installed("wagtail") and apps.is_installed("parrain.plugins.wagtail")
    assert not any(config.name.startswith("oscar") for config in apps.get_app_configs())
    assert not apps.is_installed("parrain.plugins.oscar")


def test_landing_page_publishes_links_and_renders(client) -> None:
    program = make_program()
    page = create_landing_page(site_home(), program)

    program.refresh_from_db()
    assert program.landing_url == f"{SITE_ROOT_URL}/parrainage/"
    html = client.get("/parrainage/", HTTP_HOST="shop.example").content.decode()
    assert f'data-parrain-key="{program.public_key}"' in html
    assert "15% off your first order" in html  # the site's language is English
    assert page.live


def test_referral_admin_works_without_oscar(client, django_user_model) -> None:
    make_program()
    admin = django_user_model.objects.create_superuser("owner", "owner@example.com", "x")
    client.force_login(admin)
    assert client.get(reverse("parrain_wagtail:dashboard")).status_code == 200
    assert client.get(reverse("wagtailsnippets_parrain_program:list")).status_code == 200


def test_oscar_plugin_module_is_not_imported_by_the_wagtail_plugin() -> None:
    import sys

    import parrain.plugins.wagtail.wagtail_hooks  # noqa: F401

    assert not any(name.startswith("oscar") for name in sys.modules)
