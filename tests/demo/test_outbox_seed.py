"""``make demo`` leaves an email sent by the scenario in the outbox, and only that.

The 90 days of history send nothing (their messages went out long ago, in a real shop);
after them, Bruno invites Léa and the default scenario sends her the invitation at once,
through the demo's email backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test.utils import override_settings
from django.utils import timezone

from parrain.core.management.commands.parrain_demo import DEMO_SLUGS, MAIN_SLUG, delete_demo
from parrain.core.models import Program, Referral, ScenarioStep, ScheduledMessage
from parrain.core.models.choices import MessageKind, MessageStatus
from sandbox import outbox

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("outbox")
    media = tmp_path_factory.mktemp("media")
    settings = override_settings(
        EMAIL_BACKEND=outbox.BACKEND, DEMO_OUTBOX_DIR=str(folder), MEDIA_ROOT=str(media)
    )
    with django_db_blocker.unblock(), settings:
        out = StringIO()
        call_command("parrain_demo", stdout=out)
        yield folder, out.getvalue()
        delete_demo()
        Referral.objects.all().delete()
        Program.objects.all().delete()
        get_user_model().objects.all().delete()


def test_the_scenarios_invitation_is_in_the_outbox(seeded: tuple[Path, str]) -> None:
    folder, output = seeded
    with override_settings(EMAIL_BACKEND=outbox.BACKEND, DEMO_OUTBOX_DIR=str(folder)):
        emails = outbox.newest()

    to_lea = [email for email in emails if email.to == "lea@example.net"]
    assert len(to_lea) == 1
    invitation = to_lea[0]
    assert invitation.subject.startswith("Une invitation : ")
    assert "Maison Lumière" in invitation.subject
    assert "Bruno" in invitation.html and "Bruno" in invitation.text
    assert "Je pense que leurs lampes vont te plaire !" in invitation.text
    assert "/r/" in invitation.text  # the share link
    assert ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click") in invitation.headers
    assert "invitation sent to lea@example.net: see /demo/outbox/" in output


def test_the_demo_emails_carry_the_legal_footer_and_the_shop_address(
    seeded: tuple[Path, str],
) -> None:
    folder, _output = seeded
    with override_settings(EMAIL_BACKEND=outbox.BACKEND, DEMO_OUTBOX_DIR=str(folder)):
        invitation = next(e for e in outbox.newest() if e.to == "lea@example.net")
    for part in (invitation.text, invitation.html):
        assert "RCS Lyon 912 345 678" in part  # the French footer: Léa reads French
        assert "12 rue des Lanternes, 69002 Lyon" in part
    for program in Program.objects.filter(slug__in=DEMO_SLUGS):
        assert set(program.legal_footer) == {"fr", "en"} and program.shop_address


def test_a_demo_seeded_before_gets_its_footer_and_keeps_one_written_over(
    seeded: tuple[Path, str],
) -> None:
    main = Program.objects.get(slug=MAIN_SLUG)
    Program.objects.filter(pk=main.pk).update(legal_footer={}, shop_address="")
    Program.objects.filter(slug="atelier-velo").update(shop_address="Chez moi")
    call_command("parrain_demo", stdout=StringIO())  # the next `make demo`
    main.refresh_from_db()
    assert main.legal_footer["en"].startswith("Maison Lumière SAS")
    assert main.shop_address.startswith("Maison Lumière, 12 rue des Lanternes")
    assert Program.objects.get(slug="atelier-velo").shop_address == "Chez moi"


def test_the_history_sent_nothing_to_the_outbox(seeded: tuple[Path, str]) -> None:
    folder, _output = seeded

    assert len(list(folder.iterdir())) == 1


def test_the_history_leaves_no_backlog_for_a_worker(seeded: tuple[Path, str]) -> None:
    """Messages due during the 90 days were handled at seeding (sent to nowhere, or dropped
    when their goal was reached): a worker started on the demo sends none of them."""
    waiting = ScheduledMessage.objects.filter(status=MessageStatus.PENDING)

    assert not waiting.filter(due_at__lte=timezone.now() - timedelta(minutes=1)).exists()
    assert ScheduledMessage.objects.filter(status=MessageStatus.SENT).count() > 100
    reminders = ScheduledMessage.objects.filter(kind=MessageKind.FRIEND_REMINDER)
    assert reminders.filter(status=MessageStatus.DROPPED).exists()


def test_the_demo_program_runs_the_default_scenario(seeded: tuple[Path, str]) -> None:
    program = Program.objects.get(slug="maison-lumiere")
    message = ScheduledMessage.objects.get(
        program=program, kind=MessageKind.INVITATION, contact__email="lea@example.net"
    )

    assert message.status == MessageStatus.SENT
    assert message.step is not None and message.step.is_active
    assert ScenarioStep.objects.filter(program=program, is_active=True).count() >= 9
