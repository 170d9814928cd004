"""The setup checklist's links land on the field where each step is done, in the Django
admin, Oscar's dashboard and the Wagtail admin: the page they open renders an element with
the link's anchor as its id (``#id_share_channels``…), so the browser scrolls to it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from parrain.core.admin_setup import admin_links
from parrain.core.factories import ProgramFactory
from parrain.core.models import Program
from parrain.plugins.oscar.dashboard.setup import dashboard_links
from parrain.plugins.wagtail.setup_views import wagtail_links

pytestmark = pytest.mark.django_db

LINKS: dict[str, Callable[[Program], dict[str, str]]] = {
    "django": admin_links,
    "oscar": dashboard_links,
    "wagtail": wagtail_links,
}


@pytest.mark.parametrize("admin", LINKS)
def test_each_anchored_link_opens_a_page_holding_its_field(admin: str) -> None:
    program = ProgramFactory(slug="atelier")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.create_superuser("owner", "o@example.com", "pw"))
    links = LINKS[admin](program)
    anchored = {step: url for step, url in links.items() if "#" in url}
    # the steps done in the program editor point at their field there
    assert {"offer", "channels"} <= set(anchored), links
    for step, url in anchored.items():
        page, anchor = url.split("#")
        response = client.get(page)
        assert response.status_code == 200, (step, url)
        assert f'id="{anchor}"' in response.content.decode(), (admin, step, url)
