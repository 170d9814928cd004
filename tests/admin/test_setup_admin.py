"""The setup checklist on the program's page and the widget code page, in the Django admin
(issue 15 §2): the steps with their state and links to this admin's pages, the snippet
with the chosen options, and the "mark as reviewed" POST."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from parrain.core.conf import parrain_settings
from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Program

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    return ProgramFactory(name="Boutique Éloïse", languages=["fr", "en"])


def staff(*codenames: str) -> Client:
    user = get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def steps(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-step="(\w+)" data-done="(\w+)"', html))


def test_the_program_page_shows_the_checklist_with_links_to_this_admin(program: Program) -> None:
    client = staff("view_program", "change_program")
    html = client.get(reverse("admin:parrain_program_change", args=[program.pk])).content.decode()
    assert "Setup checklist" in html
    assert steps(html) == {
        "offer": "true",
        "landing": "true",
        "widget": "false",
        "channels": "true",
        "scenario": "true",
        "messages": "false",
        "contacts": "false",
    }
    for name in (
        "admin:parrain_program_snippet",
        "admin:parrain_scenariostep_scenario",
        "admin:parrain_messagetemplate_program",
    ):
        assert f'href="{reverse(name, args=[program.pk])}"' in html
    assert reverse("admin:parrain_contactimport_changelist") in html
    # The checklist holds its own form: it is not nested in the program's
    assert html.index("Setup checklist") < html.index('id="program_form"')


def test_marking_the_messages_reviewed_turns_the_step_green(program: Program) -> None:
    client = staff("view_program", "change_program", "change_messagetemplate")
    url = reverse("admin:parrain_program_messages_reviewed", args=[program.pk])
    page = reverse("admin:parrain_program_change", args=[program.pk])
    response = client.post(url, {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert steps(client.get(page).content.decode())["messages"] == "true"
    assert AuditEvent.objects.get(action="program.messages_reviewed").actor == "staff"
    # Elsewhere than this site: back to the program's page
    assert client.post(url, {"next": "https://evil.example/"})["Location"] == page


def test_marking_reviewed_needs_the_messages_permission(program: Program) -> None:
    client = staff("view_program", "change_program")
    url = reverse("admin:parrain_program_messages_reviewed", args=[program.pk])
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405


def test_the_widget_code_page_writes_the_snippet_with_the_chosen_options(program: Program) -> None:
    client = staff("view_program")
    url = reverse("admin:parrain_program_snippet", args=[program.pk])
    html = client.get(
        url, {"kind": "referee", "language": "en", "colour": "#ff0000", "title": "Hi"}
    )
    assert html.status_code == 200
    page = html.content.decode()
    code = unescape(re.search(r"<textarea[^>]*data-snippet-code>(.*?)</textarea>", page, re.S)[1])
    assert f'data-parrain-key="{program.public_key}"' in code
    base = parrain_settings.BASE_URL.rstrip("/")
    assert f'src="{base}/static/parrain/widget.js"' in code  # absolute: pasted elsewhere
    assert 'data-parrain-widget="referee"' in code and 'lang="en"' in code
    assert 'data-parrain-colour="#ff0000"' in code and 'data-parrain-title="Hi"' in code
    # The preview runs the same snippet against this server's own origin, sending no referrer
    preview = unescape(re.search(r'srcdoc="(.*?)"', page, re.S)[1])
    assert 'data-parrain-api="http://testserver"' in preview
    assert 'name="referrer" content="no-referrer"' in preview
    # A wrong option falls back to its default; the brand colour is not repeated
    code = client.get(url, {"kind": "nope", "colour": program.brand_colour}).content.decode()
    assert "data-parrain-widget=&quot;referrer&quot;" in code
    assert "data-parrain-colour" not in code.split("data-snippet-code>")[1].split("</textarea>")[0]


def test_the_widget_code_page_needs_the_program_view_permission(program: Program) -> None:
    url = reverse("admin:parrain_program_snippet", args=[program.pk])
    assert staff().get(url).status_code == 403
