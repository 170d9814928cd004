"""Regular imports in the Django admin: the shared form, the password never shown back
and kept when left empty, a select per known column, "Run now", last run and last error."""

from __future__ import annotations

import pytest
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, ContactImport, ImportSchedule
from parrain.core.models.choices import ImportStatus

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LIST = "/admin/parrain/importschedule/"


def _post(**extra: str) -> dict[str, str]:
    return {
        "url": "https://files.shop.example/export/clients.csv",
        "username": "shop",
        "password": "s3cret-pass",
        "every_hours": "24",
        "notify_email": "owner@shop.example",
        "is_active": "on",
        **extra,
    }


def test_add_through_the_shared_form_the_password_is_never_shown_back(
    admin_client: Client,
) -> None:
    program = ProgramFactory()
    page = admin_client.get(f"{LIST}add/?program={program.pk}", **EN).content.decode()
    assert "Every week" in page and 'type="password"' in page

    response = admin_client.post(f"{LIST}add/?program={program.pk}", _post(), **EN)

    assert response.status_code == 302, response.context["form"].errors
    schedule = ImportSchedule.objects.get(program=program)
    assert (schedule.password, schedule.every_hours) == ("s3cret-pass", 24)
    assert schedule.next_run_at is not None  # due at the next check
    page = admin_client.get(response["Location"], **EN).content.decode()
    assert "s3cret-pass" not in page
    assert "A password is saved: leave this empty to keep it." in page
    assert "Run now" in page
    assert AuditEvent.objects.filter(action="import_schedule.created").exists()
    # the listing hides nothing it should not show either
    listing = admin_client.get(LIST, **EN).content.decode()
    assert "files.shop.example" in listing and "s3cret-pass" not in listing


def test_an_empty_password_on_edit_keeps_the_saved_one(admin_client: Client) -> None:
    program = ProgramFactory()
    schedule = ImportSchedule.objects.create(
        program=program, url="https://files.shop.example/a.csv", username="shop", password="old"
    )

    response = admin_client.post(
        f"{LIST}{schedule.pk}/change/", _post(password="", every_hours="168"), **EN
    )

    assert response.status_code == 302, response.context["form"].errors
    schedule.refresh_from_db()
    assert (schedule.password, schedule.every_hours) == ("old", 168)
    # a new one replaces it; clearing the user name drops both
    admin_client.post(f"{LIST}{schedule.pk}/change/", _post(password="new"), **EN)
    schedule.refresh_from_db()
    assert schedule.password == "new"
    admin_client.post(f"{LIST}{schedule.pk}/change/", _post(username="", password=""), **EN)
    schedule.refresh_from_db()
    assert (schedule.username, schedule.password) == ("", "")


def test_plain_http_is_refused_beside_the_field_nothing_stored(
    admin_client: Client, settings
) -> None:
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = False
    program = ProgramFactory()

    response = admin_client.post(
        f"{LIST}add/?program={program.pk}", _post(url="http://files.shop.example/a.csv"), **EN
    )

    assert response.status_code == 400
    assert response.context["form"].errors["url"] == ["Only HTTPS addresses are accepted."]
    assert not ImportSchedule.objects.exists()


def test_mapping_offers_a_select_per_column_of_the_last_import(admin_client: Client) -> None:
    program = ProgramFactory(import_mapping={"Courriel": "email"})
    ContactImport.objects.create(
        program=program, headers=["Courriel", "Prénom", "Fidélité"], status=ImportStatus.DONE
    )
    page = admin_client.get(f"{LIST}add/?program={program.pk}", **EN).content.decode()
    assert 'name="column_0"' in page and 'name="column_2"' in page
    assert '<option value="email" selected>' in page

    response = admin_client.post(
        f"{LIST}add/?program={program.pk}",
        _post(column_0="email", column_1="first_name", column_2=""),
        **EN,
    )

    assert response.status_code == 302, response.context["form"].errors
    schedule = ImportSchedule.objects.get()
    assert schedule.mapping == {"Courriel": "email", "Prénom": "first_name", "Fidélité": ""}
    # a mapping without email nor external id is refused
    response = admin_client.post(
        f"{LIST}{schedule.pk}/change/", _post(column_0="", column_1="first_name"), **EN
    )
    assert response.status_code == 400


def test_run_now_fetches_and_shows_the_last_error(
    admin_client: Client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.PARRAIN_ALLOW_PRIVATE_TARGETS = False
    program = ProgramFactory()
    schedule = ImportSchedule.objects.create(
        program=program, url="https://127.0.0.1:9/clients.csv", notify_email=""
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{LIST}{schedule.pk}/run/", **EN)

    assert response.status_code == 302
    schedule.refresh_from_db()
    assert "private or loopback" in schedule.last_error
    assert schedule.last_run_at is not None
    page = admin_client.get(f"{LIST}{schedule.pk}/change/", **EN).content.decode()
    assert "private or loopback" in page
    assert ContactImport.objects.filter(schedule=schedule, status=ImportStatus.FAILED).exists()


def test_run_now_needs_a_post_and_the_change_permission(
    client: Client, admin_client: Client, django_user_model
) -> None:
    schedule = ImportSchedule.objects.create(
        program=ProgramFactory(), url="https://files.shop.example/a.csv"
    )
    assert admin_client.get(f"{LIST}{schedule.pk}/run/").status_code == 403
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert client.post(f"{LIST}{schedule.pk}/run/").status_code == 403
    assert schedule.imports.count() == 0


def test_linked_from_the_contact_import_list(admin_client: Client) -> None:
    listing = admin_client.get("/admin/parrain/contactimport/", **EN).content.decode()
    assert LIST in listing and "Regular imports from a URL" in listing
