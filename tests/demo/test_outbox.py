"""The demo's outbox (/demo/outbox/): the emails the demo sent, for staff, as sent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from parrain.core.factories import ProgramFactory
from parrain.core.management.commands.parrain_demo import MAIN_SLUG
from sandbox.outbox import BACKEND

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Path:
    settings.EMAIL_BACKEND = BACKEND
    settings.DEMO_OUTBOX_DIR = tmp_path / "outbox"
    return tmp_path / "outbox"


def send(subject: str = "Une invitation : -15 % chez Maison Lumière", to: str = "lea@example.net"):
    email = EmailMultiAlternatives(
        subject,
        "Bruno vous offre -15 %.\n\nProfiter de mon offre (https://shop.example/r/BRUNO1)\n",
        "Parrain demo <parrainage@example.com>",
        [to],
        headers={"List-Unsubscribe": "<https://shop.example/parrain/unsubscribe/t/>"},
    )
    email.attach_alternative(
        '<p>Bruno vous offre <strong>-15 %</strong>.</p><a href="https://shop.example/r/BRUNO1">'
        "Profiter de mon offre</a><script>alert(1)</script>",
        "text/html",
    )
    assert email.send() == 1


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_sent_email_is_listed_with_subject_recipient_and_date(
    admin_client: Client, outbox: Path
) -> None:
    send()
    send("Votre offre de bienvenue chez Maison Lumière", to="hugo@example.org")

    page = admin_client.get("/demo/outbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert len(names(outbox)) == 2
    rows = page.split("<tbody>", 1)[1]
    assert rows.index("hugo@example.org") < rows.index("lea@example.net")  # newest first
    assert "Une invitation : -15 % chez Maison Lumière" in page
    assert "Votre offre de bienvenue chez Maison Lumière" in page
    name = names(outbox)[0]
    assert f'href="/demo/outbox/{name}/"' in page
    assert name[:4] in page  # the year of its date


def test_email_page_shows_the_text_part_and_the_html_part_in_a_sandboxed_frame(
    admin_client: Client, outbox: Path
) -> None:
    send()
    name = names(outbox)[0]

    page = admin_client.get(f"/demo/outbox/{name}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    html = admin_client.get(f"/demo/outbox/{name}/html/")

    assert "Une invitation : -15 % chez Maison Lumière" in page
    assert "lea@example.net" in page and "parrainage@example.com" in page
    assert "Profiter de mon offre (https://shop.example/r/BRUNO1)" in page  # the text part
    assert f'sandbox src="/demo/outbox/{name}/html/"' in page
    assert "List-Unsubscribe: &lt;https://shop.example/parrain/unsubscribe/t/&gt;" in page
    assert "<script>" not in page  # the HTML part only inside its frame
    assert html.status_code == 200
    assert b"<strong>-15 %</strong>" in html.content
    assert html["Content-Security-Policy"].startswith("sandbox;")  # no script runs
    assert html["X-Frame-Options"] == "SAMEORIGIN"


def test_times_are_the_programs_own_with_their_true_offset(
    admin_client: Client, outbox: Path, settings: Any
) -> None:
    """Django dates an email in UTC ("-0000"): the pages write it in the demo program's
    zone, 14:44 +0100 in Paris in winter, never the UTC time marked +0100."""
    settings.TIME_ZONE = "UTC"  # the program's zone decides, not the server's
    ProgramFactory(slug=MAIN_SLUG, time_zone="Europe/Paris")
    with time_machine.travel(datetime(2026, 12, 4, 13, 44, 10, tzinfo=UTC), tick=False):
        send()
    name = names(outbox)[0]

    listing = admin_client.get("/demo/outbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = admin_client.get(f"/demo/outbox/{name}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "2026-12-04 14:44:10" in listing and "Europe/Paris" in listing
    assert "2026-12-04 14:44:10 +0100" in page
    assert "13:44:10" not in listing  # (the raw Date header, on the email page, stays as sent)


def test_a_text_only_email_says_it_has_no_html_part(admin_client: Client, outbox: Path) -> None:
    EmailMultiAlternatives("Plain", "Only text.", "a@example.com", ["b@example.com"]).send()
    name = names(outbox)[0]

    page = admin_client.get(f"/demo/outbox/{name}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "This email has no HTML part." in page and "Only text." in page
    assert admin_client.get(f"/demo/outbox/{name}/html/").status_code == 404


@pytest.mark.parametrize("signed_in", [None, "customer"])
def test_outbox_is_for_staff_only(client: Client, outbox: Path, signed_in: str | None) -> None:
    send()
    name = names(outbox)[0]
    if signed_in:
        user = get_user_model().objects.create_user(signed_in, "c@example.com", "pw-123456")
        client.force_login(user)

    for url in ("/demo/outbox/", f"/demo/outbox/{name}/", f"/demo/outbox/{name}/html/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


@pytest.mark.parametrize(
    "name", ["..%2F..%2Fsandbox%2Fsettings.py", "settings.py", "20250101T000000000000-x.eml"]
)
def test_a_name_that_is_not_a_stored_email_is_not_found(
    admin_client: Client, outbox: Path, name: str
) -> None:
    send()

    assert admin_client.get(f"/demo/outbox/{name}/").status_code == 404
    assert admin_client.get(f"/demo/outbox/{name}/html/").status_code == 404


def test_empty_outbox_says_how_to_fill_it(admin_client: Client, outbox: Path) -> None:
    page = admin_client.get("/demo/outbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "No email yet." in page


def test_home_page_links_the_outbox_in_the_demo(client: Client, outbox: Path) -> None:
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'href="/demo/outbox/"' in page


def test_outbox_is_off_when_email_goes_to_a_real_server(
    admin_client: Client, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"

    assert admin_client.get("/demo/outbox/").status_code == 404
    assert 'href="/demo/outbox/"' not in admin_client.get("/").content.decode()
