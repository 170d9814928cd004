"""The program's owner email: where the reports meant for the shop owner go (the regular
import's when its schedule names nobody else, the invitation budget warning), with the
site's ``MANAGERS`` as the fallback for the latter."""

from __future__ import annotations

import pytest
from django.core import mail

from parrain.core.factories import ProgramFactory
from parrain.core.services.confirmation import tell_owner

pytestmark = pytest.mark.django_db


def test_an_owner_report_goes_to_the_programs_owner_email(settings) -> None:
    settings.MANAGERS = [("Site", "site@example.com")]
    program = ProgramFactory(owner_email="owner@maison.example")
    tell_owner(program, "Budget reached", "Details")
    [message] = mail.outbox
    assert (message.to, message.subject) == (["owner@maison.example"], "Budget reached")


def test_without_an_owner_email_it_goes_to_the_sites_managers(settings) -> None:
    settings.MANAGERS = [("Site", "site@example.com")]
    tell_owner(ProgramFactory(owner_email=""), "Budget reached", "Details")
    [message] = mail.outbox
    assert message.to == ["site@example.com"]
