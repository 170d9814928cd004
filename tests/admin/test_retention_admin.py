"""The retention setting and its dry-run count, where each admin edits a program: the Django
admin, the Oscar dashboard's program settings and the Wagtail program snippet."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oscar.test.factories import UserFactory

from parrain.core.factories import ContactFactory, OrderFactory, ProgramFactory
from parrain.core.models import Contact, Program
from tests.program_editor import editor_post_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
DRY_RUN = "2 contacts have had no activity for 24 months and would be erased."
OSCAR_PAGE = "/shop/dashboard/referral/program/"


@pytest.fixture
def program() -> Program:
    """Three contacts since 30 months; one of them ordered last month."""
    program = ProgramFactory(retention_months=24)
    with time_machine.travel(timezone.now() - timedelta(days=30 * 30)):
        contacts = [ContactFactory(program=program) for _ in range(3)]
    OrderFactory(program=program, contact=contacts[0], placed_at=timezone.now() - timedelta(30))
    return program


def _text(response: Any) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_django_admin_program_page_shows_the_setting_and_its_dry_run(
    admin_client: Client, program: Program
) -> None:
    url = reverse("admin:parrain_program_change", args=[program.pk])

    page = _text(admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en"))

    assert 'name="retention_months"' in page and 'value="24"' in page
    assert DRY_RUN in page
    assert not Contact.objects.filter(erased_at__isnull=False).exists()  # a dry run only


def test_django_admin_says_off_when_the_setting_is_empty(admin_client: Client) -> None:
    program = ProgramFactory()
    url = reverse("admin:parrain_program_change", args=[program.pk])

    page = _text(admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en"))

    assert "Off: contacts are kept until they ask to be erased." in page
    assert "Leave empty to keep contacts" not in page  # not the same sentence twice


def test_oscar_dashboard_program_settings_show_save_and_count(
    program: Program, settings: Any
) -> None:
    settings.PARRAIN_OSCAR = {**settings.PARRAIN_OSCAR, "PROGRAM": program.slug}
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = staff.get(OSCAR_PAGE, {"program": program.slug})
    assert DRY_RUN in _text(page)

    data = editor_post_data(page.context["form"])
    data["retention_months"] = "36"
    saved = staff.post(f"{OSCAR_PAGE}?program={program.slug}", data)
    assert saved.status_code == 302, saved.context["form"].errors
    program.refresh_from_db()
    assert program.retention_months == 36
    again = _text(staff.get(saved["Location"]))
    assert "0 contacts have had no activity for 36 months and would be erased." in again


def test_wagtail_program_edit_view_shows_the_setting_and_its_dry_run(program: Program) -> None:
    owner = User.objects.create_superuser("owner", "owner@example.com", "x")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)

    page = _text(client.get(reverse("wagtailsnippets_parrain_program:edit", args=[program.pk])))

    assert 'name="retention_months"' in page
    assert DRY_RUN in page
