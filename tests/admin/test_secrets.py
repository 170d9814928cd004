"""The program's identity secret in the Django admin: hidden from view-only staff, masked for
users who may change the program, revealed and rotated by an audited POST."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Program
from parrain.core.rotation import masked

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    return ProgramFactory(name="Boutique Éloïse")


def staff(*codenames: str) -> Client:
    user = get_user_model().objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
    client.force_login(user)
    return client


def change_page(client: Client, program: Program) -> str:
    response = client.get(reverse("admin:parrain_program_change", args=[program.pk]))
    assert response.status_code == 200
    return response.content.decode()


def post(client: Client, url: str, data: dict | None = None) -> object:
    return client.post(
        url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, **(data or {})}
    )


def secret_url(program: Program, action: str) -> str:
    return reverse(f"admin:parrain_program_{action}_secret", args=[program.pk, "identity_secret"])


def test_view_only_staff_see_neither_the_identity_secret_nor_the_reveal_action(program):
    viewer = staff("view_program")
    page = change_page(viewer, program)
    assert program.public_key in page
    assert program.identity_secret not in page
    assert program.identity_secret[:10] not in page
    assert "Reveal and copy" not in page and "identity token secret" not in page.lower()
    assert post(viewer, secret_url(program, "reveal")).status_code == 403
    assert post(viewer, secret_url(program, "rotate")).status_code == 403
    assert not AuditEvent.objects.exists()


def test_change_staff_see_it_masked_and_reveal_it_with_an_audit_entry(program):
    editor = staff("view_program", "change_program")
    page = change_page(editor, program)
    assert program.identity_secret not in page
    assert masked(program.identity_secret) in page and "Reveal and copy" in page
    assert editor.post(secret_url(program, "reveal")).status_code == 403  # no CSRF token
    response = post(editor, secret_url(program, "reveal"))
    assert response.json() == {"secret": program.identity_secret}
    event = AuditEvent.objects.get()
    assert (event.program, event.action, event.actor) == (program, "secret.revealed", "staff")
    assert event.data == {"secret": f"parrain.program {program.pk} identity_secret"}
    assert program.identity_secret not in event.message


def test_rotate_action_keeps_the_old_secret_for_the_grace_and_audits(program):
    old = program.identity_secret
    editor = staff("view_program", "change_program")
    change_page(editor, program)
    changelist = reverse("admin:parrain_program_changelist")
    post(
        editor, changelist, {"action": "rotate_identity_secrets", "_selected_action": [program.pk]}
    )
    program.refresh_from_db()
    assert program.identity_secret.startswith("idsec_") and program.identity_secret != old
    assert program.identity_secrets() == [program.identity_secret, old]
    assert "still accepted until" in change_page(editor, program)
    assert AuditEvent.objects.filter(action="secret.rotated", actor="staff").count() == 1
