"""Account keys (mk_…) in the Django admin and the parrain_account_key command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from parrain.core.models import AccountKey

pytestmark = pytest.mark.django_db


def _manage_status(key: str) -> int:
    return Client().get("/api/v1/manage/programs", HTTP_AUTHORIZATION=f"Bearer {key}").status_code


def test_admin_creates_a_key_and_shows_it_once_on_its_own_page(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:parrain_accountkey_add"), {"label": "Agency"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = AccountKey.objects.get()
    clear = response.context["clear_key"]
    assert clear.startswith("mk_") and clear.startswith(key.prefix)
    assert "shown only once" in response.content.decode()
    assert (key.label, key.created_by) == ("Agency", "admin")
    assert _manage_status(clear) == 200
    # Never again: not in the list, the change page, nor a lingering message
    for url in (
        reverse("admin:parrain_accountkey_changelist"),
        reverse("admin:parrain_accountkey_change", args=[key.pk]),
    ):
        page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert key.prefix in page and clear not in page


def test_admin_revoke_action_refuses_the_key(admin_client: Client) -> None:
    key, clear = AccountKey.create("old")
    response = admin_client.post(
        reverse("admin:parrain_accountkey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "1 key revoked." in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert _manage_status(clear) == 401


def test_command_creates_lists_and_revokes() -> None:
    out, err = StringIO(), StringIO()
    call_command("parrain_account_key", "create", "--label", "CI", stdout=out, stderr=err)
    clear = out.getvalue().strip()
    assert clear.startswith("mk_") and "not shown again" in err.getvalue()
    assert _manage_status(clear) == 200
    key = AccountKey.objects.get()
    assert key.created_by.startswith("command:parrain_account_key")

    listing = StringIO()
    call_command("parrain_account_key", "list", stdout=listing)
    assert key.prefix in listing.getvalue() and "CI" in listing.getvalue()
    assert clear not in listing.getvalue()

    call_command("parrain_account_key", "revoke", key.prefix, stdout=StringIO())
    assert _manage_status(clear) == 401
    with pytest.raises(CommandError):
        call_command("parrain_account_key", "revoke", "mk_unknown")
