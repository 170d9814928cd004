"""A page origin the program does not allow: told to the widget, kept for the owner (issue 15).

The widget on a page missing from the program's allowed origins must say so (not blame the
visitor's network), and the shop owner must see which pages tried: "recent widget errors".
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, Program, RefusedOrigin
from parrain.core.services import widget_errors
from tests.widget.conftest import ORIGIN, Widget

pytestmark = pytest.mark.django_db
OTHER = "http://localhost:8101"


def test_refusal_is_readable_by_the_page_and_names_the_problem(widget: Widget) -> None:
    response = widget.get("/config", origin=OTHER, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response["Access-Control-Allow-Origin"] == OTHER  # else the browser hides it
    body = response.json()
    assert body["type"] == "urn:parrain:problem:origin-not-allowed"
    assert body["detail"] == "This site may not use this referral program."
    french = widget.get("/config", origin=OTHER, HTTP_ACCEPT_LANGUAGE="fr")
    assert french.json()["detail"] != body["detail"]


def test_refused_origins_are_recorded_per_program_with_a_count(
    widget: Widget, program: Program
) -> None:
    # Given a page on an origin the program does not list, loaded three times
    for _ in range(3):
        widget.get("/config", origin=f"{OTHER}/")
    # Then the owner sees the origin once, counted; a write waits for the next minute
    seen = RefusedOrigin.objects.get(program=program)
    assert (seen.origin, seen.count) == (OTHER, 1)
    # When the minute has passed, the next refusal brings the waiting count along
    cache.delete_many([k for k in _gate_keys(program)])
    widget.get("/config", origin=OTHER)
    seen.refresh_from_db()
    assert seen.count == 4 and seen.last_seen >= seen.first_seen
    # An allowed origin and the same-origin page are not errors
    widget.get("/config", origin=ORIGIN)
    widget.get("/config", origin="http://testserver")
    assert RefusedOrigin.objects.count() == 1
    assert not RefusedOrigin.objects.exclude(program=program).exists()


def test_posts_from_a_refused_origin_store_nothing_but_the_error(
    widget: Widget, program: Program
) -> None:
    response = widget.post("/referrers", {"email": "a@example.com"}, origin=OTHER)
    assert response.status_code == 403
    assert not Contact.objects.exists()
    assert RefusedOrigin.objects.filter(program=program, origin=OTHER).exists()


def test_only_the_most_recent_origins_are_kept_and_garbage_is_ignored(program: Program) -> None:
    base = timezone.now()
    for n in range(widget_errors.RECENT + 5):
        cache.clear()  # every origin past its new-row pause
        with mock.patch.object(widget_errors.timezone, "now", return_value=base + timedelta(n)):
            widget_errors.note_refused_origin(program, f"https://site{n}.example")
    widget_errors.note_refused_origin(program, "not an origin")
    widget_errors.note_refused_origin(program, "x" * 5000)
    kept = list(RefusedOrigin.objects.filter(program=program).values_list("origin", flat=True))
    assert len(kept) == widget_errors.RECENT
    assert "https://site24.example" in kept and "https://site0.example" not in kept


def test_a_flood_of_new_origins_writes_at_most_one_row_per_pause(program: Program) -> None:
    for n in range(50):
        widget_errors.note_refused_origin(program, f"https://flood{n}.example")
    assert RefusedOrigin.objects.filter(program=program).count() == 1


def test_program_admin_page_shows_recent_widget_errors(program: Program) -> None:
    RefusedOrigin.objects.create(program=program, origin=OTHER, count=7)
    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(admin)
    url = f"/admin/parrain/program/{program.pk}/change/"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Recent widget errors: page origins not allowed" in html
    assert OTHER in html and ">7<" in html.replace(" ", "")
    assert "this page origin is not allowed for this program" in html  # the warning on top
    # An old refusal stays listed but no longer warns
    RefusedOrigin.objects.update(last_seen=timezone.now() - timedelta(days=2))
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert OTHER in html and "this page origin is not allowed" not in html


def _gate_keys(program: Program) -> list[str]:
    import hashlib

    digest = hashlib.sha256(OTHER.encode()).hexdigest()[:24]
    return [f"parrain:refused-origin:{program.pk}:{digest}:written"]


def test_other_programs_keep_their_own_errors() -> None:
    first, second = ProgramFactory(), ProgramFactory()
    widget_errors.note_refused_origin(first, OTHER)
    assert list(widget_errors.recent_widget_errors(second)) == []
    assert [r.origin for r in widget_errors.recent_widget_errors(first)] == [OTHER]
