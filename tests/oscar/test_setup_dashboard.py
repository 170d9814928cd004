"""The setup checklist and the widget code in Oscar's dashboard (issue 15 §2): on the
program settings page, links to the dashboard's own pages; the snippet generator with its
preview; "Mark as reviewed"."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from oscar.test.factories import UserFactory

from parrain.core.models import Program

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ROOT = "/shop/dashboard/referral"


def signed_in(**user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(**user))
    return client


def steps(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="(\w+)" data-done="(\w+)"', html))


def test_the_program_page_shows_the_checklist_linking_to_the_dashboard(program: Program) -> None:
    staff = signed_in(is_staff=True, is_superuser=True)
    page = staff.get(f"{ROOT}/program/?program={program.slug}").content.decode()
    assert "Setup checklist" in page
    assert steps(page)["offer"] == "true" and steps(page)["messages"] == "false"
    for path in ("widget-code/", "scenario/", "messages/", "imports/"):
        assert f'href="{ROOT}/{path}?program={program.slug}"' in page
    # "Mark as reviewed" turns the messages step green
    reviewed = staff.post(
        f"{ROOT}/messages/reviewed/?program={program.slug}",
        {"next": f"{ROOT}/program/?program={program.slug}"},
    )
    assert reviewed.status_code == 302
    assert steps(staff.get(reviewed["Location"]).content.decode())["messages"] == "true"


def test_the_widget_code_page_writes_the_snippet_and_previews_it(program: Program) -> None:
    staff = signed_in(is_staff=True, is_superuser=True)
    response = staff.get(f"{ROOT}/widget-code/?program={program.slug}&kind=loyalty&language=fr")
    page = response.content.decode()
    assert response.status_code == 200 and "Copy the code" in page
    code = unescape(re.search(r"data-snippet-code>(.*?)</textarea>", page, re.S)[1])
    assert 'data-parrain-widget="loyalty"' in code and 'lang="fr"' in code
    assert program.public_key in unescape(re.search(r'srcdoc="(.*?)"', page, re.S)[1])


def test_staff_without_the_program_permission_get_no_widget_code(program: Program) -> None:
    staff = signed_in(is_staff=True)
    response = staff.get(f"{ROOT}/widget-code/?program={program.slug}")
    assert response.status_code in (302, 403)
    refused = staff.post(f"{ROOT}/messages/reviewed/?program={program.slug}")
    assert refused.status_code in (302, 403)
    program.refresh_from_db()
    assert program.messages_reviewed_at is None
