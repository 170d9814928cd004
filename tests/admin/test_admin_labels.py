"""The Django admin shows words for codes and amounts with their currency (FR and EN)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from parrain.core import audit, labels
from parrain.core.factories import ProgramFactory
from parrain.core.models import Program, Referral
from parrain.core.models.choices import ReferralStatus
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.transitions import move

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(program: Program) -> Referral:
    """A referral held for review because the friend's address is disposable."""
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice")
    invite_by_email(alice.contact, ["bob@example.org"])
    referral = Referral.objects.get(referee__email="bob@example.org")
    move(referral, ReferralStatus.REVIEW, action="referral.held", reason="disposable_email")
    audit.record(program, "secret.rotated", actor="admin")
    return referral


@pytest.fixture
def program() -> Program:
    return ProgramFactory(name="Boutique Éloïse")


def _table(response) -> str:
    html = response.content.decode()
    start = html.index('id="result_list"')
    return html[start : html.index("</table>", start)]  # not the filters beside it


def test_audit_log_lists_actions_and_reasons_in_english(admin_client: Client, held) -> None:
    url = reverse("admin:parrain_auditevent_changelist")
    table = _table(admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Referral held for review" in table and "Disposable email address" in table
    assert "Secret replaced" in table and "Friend invited" in table
    assert not re.search(r">(referral\.held|secret\.rotated|disposable_email)<", table)


def test_audit_log_lists_actions_and_reasons_in_french(admin_client: Client, held) -> None:
    url = reverse("admin:parrain_auditevent_changelist")
    table = _table(admin_client.get(url, HTTP_ACCEPT_LANGUAGE="fr"))
    with translation.override("fr"):  # the French catalog's words (filled at integration)
        expected = labels.action_label("referral.held"), labels.reason_label("disposable_email")
    assert expected[0] in table and expected[1] in table
    assert "referral.held" not in table and ">disposable_email<" not in table


def test_audit_filter_offers_labels_not_codes(admin_client: Client, held) -> None:
    url = reverse("admin:parrain_auditevent_changelist")
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<a href="?action=secret.rotated">Secret replaced</a>' in page
    filtered = admin_client.get(url + "?action=secret.rotated", HTTP_ACCEPT_LANGUAGE="en")
    assert list(filtered.context["cl"].result_list.values_list("action", flat=True)) == [
        "secret.rotated"
    ]


def test_referral_page_says_why_it_waits(admin_client: Client, held) -> None:
    changelist = reverse("admin:parrain_referral_changelist")
    table = _table(admin_client.get(changelist, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Disposable email address" in table and ">disposable_email<" not in table
    page = admin_client.get(
        reverse("admin:parrain_referral_change", args=[held.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Disposable email address" in page and "Referral held for review" in page
