"""The regular import in Oscar's dashboard (Referral → Contact imports → Regular import):
the shared form in the dashboard's look, the password never shown back and kept when
left empty, "Run now", and the permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from oscar.test.factories import UserFactory

from parrain.core.models import ContactImport, ImportSchedule, Program
from parrain.core.models.choices import ImportStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
PAGE = "/shop/dashboard/referral/imports/regular/"


def signed_in(**user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(**user))
    return client


def _post(**extra: str) -> dict[str, str]:
    return {
        "url": "https://files.shop.example/clients.csv",
        "username": "shop",
        "password": "s3cret-pass",
        "every_hours": "6",
        "notify_email": "owner@shop.example",
        "is_active": "on",
        **extra,
    }


def test_linked_from_the_import_list_saved_masked_and_kept(program: Program) -> None:
    staff = signed_in(is_staff=True, is_superuser=True)
    listing = staff.get(f"/shop/dashboard/referral/imports/?program={program.slug}")
    assert PAGE in listing.content.decode()
    page = staff.get(f"{PAGE}?program={program.slug}").content.decode()
    assert "Every 6 hours" in page and 'type="password"' in page and "Run now" not in page

    response = staff.post(f"{PAGE}?program={program.slug}", _post())

    assert response.status_code == 302
    schedule = ImportSchedule.objects.get(program=program)
    assert (schedule.every_hours, schedule.password) == (6, "s3cret-pass")
    page = staff.get(response["Location"]).content.decode()
    assert "s3cret-pass" not in page and "Run now" in page
    assert "A password is saved: leave this empty to keep it." in page
    # left empty on edit: kept
    staff.post(f"{PAGE}?program={program.slug}", _post(password="", every_hours="168"))
    schedule.refresh_from_db()
    assert (schedule.every_hours, schedule.password) == (168, "s3cret-pass")


def test_a_bad_address_is_refused_beside_the_field(program: Program, settings) -> None:
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = False
    staff = signed_in(is_staff=True, is_superuser=True)

    response = staff.post(f"{PAGE}?program={program.slug}", _post(url="ftp://files.example/a"))

    assert response.status_code == 400
    assert not ImportSchedule.objects.exists()


def test_run_now_records_the_fetch_and_its_error(
    program: Program, settings, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = False
    schedule = ImportSchedule.objects.create(program=program, url="https://10.0.0.7/clients.csv")
    staff = signed_in(is_staff=True, is_superuser=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"{PAGE}?program={program.slug}", {"run": "1"})

    assert response.status_code == 302
    schedule.refresh_from_db()
    assert "private or loopback" in schedule.last_error
    failed = ContactImport.objects.get(schedule=schedule)
    assert failed.status == ImportStatus.FAILED
    page = staff.get(f"{PAGE}?program={program.slug}").content.decode()
    assert "private or loopback" in page
    assert f"/shop/dashboard/referral/imports/{failed.pk}/" in page


def test_viewing_only_cannot_save_nor_run(program: Program) -> None:
    schedule = ImportSchedule.objects.create(program=program, url="https://files.example/a.csv")
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_importschedule"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(viewer)

    page = client.get(f"{PAGE}?program={program.slug}")
    assert page.status_code == 200 and "Run now" not in page.content.decode()
    assert client.post(f"{PAGE}?program={program.slug}", {"run": "1"}).status_code == 403
    assert client.post(f"{PAGE}?program={program.slug}", _post()).status_code == 403
    schedule.refresh_from_db()
    assert schedule.password == "" and schedule.imports.count() == 0
    # staff without the permission: not even the page
    assert signed_in(is_staff=True).get(f"{PAGE}?program={program.slug}").status_code in (302, 403)
