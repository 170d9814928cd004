"""Issue 15 §5 in Oscar's dashboard: a referral's detail page with its history, contacts
with import and export buttons (the export reads back through the import), the settings
form in Oscar's form layout, and Oscar's search form kept to Oscar's own pages."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.test import Client
from oscar.test.factories import UserFactory

from parrain.core.importing.mapping import guess
from parrain.core.models import AuditEvent, Contact, Program
from parrain.core.services import contact_imports
from parrain.core.services.contact_list_export import COLUMNS
from parrain.core.services.contacts import ContactData, upsert_contact

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
BASE = "/shop/dashboard/referral/"


@pytest.fixture
def staff() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_referral_rows_link_to_a_detail_page_with_orders_rewards_and_history(
    referred_order: Any, staff: Client
) -> None:
    referral = referred_order.referral
    listing = staff.get(BASE + "referrals/").content.decode()
    assert f'href="{BASE}referrals/{referral.pk}/"' in listing

    page = staff.get(f"{BASE}referrals/{referral.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "alice@example.com" in html and "bob@example.org" in html
    assert referral.order.external_id in html and "converting order" in html
    assert referred_order.welcome.code in html  # the friend's welcome reward
    actions = list(referral.audit.values_list("action", flat=True))
    assert actions
    for action in actions:
        assert f'data-action="{action}"' in html


def test_referral_detail_needs_the_view_permission(referred_order: Any) -> None:
    url = f"{BASE}referrals/{referred_order.referral.pk}/"
    user = UserFactory(is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(url).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_referral"))
    assert client.get(url).status_code == 200


def test_contacts_page_has_import_and_export_buttons(program: Program, staff: Client) -> None:
    html = staff.get(BASE + "contacts/").content.decode()
    assert f'href="{BASE}imports/upload/?program={program.slug}"' in html
    assert f'href="{BASE}contacts/export/?program={program.slug}"' in html


def test_contacts_export_keeps_the_list_filters_and_reads_back_through_the_import(
    program: Program,
    staff: Client,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    paris = ZoneInfo("Europe/Paris")
    ana, _ = upsert_contact(
        program,
        ContactData(
            email="ana@example.com",
            last_name="Lopez",
            phone="+33612345678",
            is_customer=True,
            first_order_at=datetime(2026, 1, 2, 10, 30, tzinfo=paris),
        ),
    )
    ana.first_name, ana.tags, ana.total_spent = "=Ana", ["vip", "paris"], Decimal("120.50")
    ana.save()
    upsert_contact(program, ContactData(email="bob@example.org", first_name="Bob"))

    response = staff.get(BASE + "contacts/export/", {"program": program.slug, "customers": "on"})

    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["email"] for row in rows] == ["ana@example.com"]  # the filter applies
    assert rows[0]["first_name"] == "'=Ana"  # never a formula in a spreadsheet
    assert rows[0]["is_customer"] == "yes" and rows[0]["consent"] == ""
    assert rows[0]["first_order_date"] == "2026-01-02 10:30"  # the program's time zone
    assert rows[0]["tags"] == "vip, paris" and rows[0]["phone"] == "+33612345678"
    headers = [header for header, _attr in COLUMNS]
    assert guess(headers) == {header: header for header in headers} | {
        "first_order_date": "first_order_at",
        "consent_date": "consent_at",
    }
    event = AuditEvent.objects.get(program=program, action="contacts.exported")
    assert event.data == {"rows": 1} and event.actor.startswith("oscar-dashboard:")

    # Another program imports the file as it is, without touching the mapping.
    other = Program.objects.create(name="Atelier", slug="atelier")
    upload = contact_imports.start(other, ContentFile(text.encode()), "contacts.csv", actor="t")
    with django_capture_on_commit_callbacks(execute=True):
        contact_imports.confirm(upload, actor="t")
    copy = Contact.objects.get(program=other, email="ana@example.com")
    assert (copy.last_name, copy.is_customer, copy.phone) == ("Lopez", True, "+33612345678")
    assert copy.first_order_at == ana.first_order_at
    assert sorted(copy.tags) == ["paris", "vip"]


def test_contacts_export_needs_the_view_permission(program: Program) -> None:
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    assert client.get(BASE + "contacts/export/").status_code == 403


def test_settings_form_uses_oscar_dashboard_form_layout(program: Program, staff: Client) -> None:
    html = staff.get(BASE + "program/").content.decode()
    assert 'class="form-group row' in html
    assert 'class="col-sm-4 col-form-label' in html


def test_oscar_search_form_is_on_the_search_page_only(program: Program, staff: Client) -> None:
    assert "sort_by" in staff.get("/shop/search/", {"q": "lampe"}).context["search_form"].fields
    cms = staff.get("/shop/dashboard/referral/contacts/").content.decode()
    assert 'name="sort_by"' not in cms
