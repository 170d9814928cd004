"""Retention: contacts with no activity for the program's N months are erased by the daily
task; each kind of activity keeps a contact; the setting is off by default."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import translation

from parrain.core.factories import ContactFactory, OrderFactory, ProgramFactory, verified_referrer
from parrain.core.models import (
    AuditEvent,
    ConsentRecord,
    Contact,
    ContactImport,
    LoyaltyEntry,
    Program,
    Reward,
    ScheduledMessage,
    ShareClick,
)
from parrain.core.models.choices import (
    ConsentChannel,
    ConsentSource,
    ImportStatus,
    MessageChannel,
    MessageKind,
    MessageStatus,
    RewardKind,
    Side,
)
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.registration import register_referee
from parrain.core.services.retention import (
    dry_run_text,
    erase_inactive,
    inactive_contacts,
    months_before,
)
from parrain.core.tasks import erase_inactive_contacts

pytestmark = pytest.mark.django_db

START = datetime(2024, 1, 31, 10, 0, tzinfo=UTC)
#: With a 24-month retention, checked 30 months after START, the cutoff is START + 6 months.
CHECKED_AT = datetime(2026, 7, 31, 10, 0, tzinfo=UTC)
RECENT = datetime(2024, 8, 31, 10, 0, tzinfo=UTC)  # after the cutoff: keeps the contact
OLD = datetime(2024, 6, 30, 10, 0, tzinfo=UTC)  # before the cutoff: does not


def _at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def program() -> Program:
    with _at(START):
        return ProgramFactory(retention_months=24)


@pytest.fixture
def zoe(program: Program) -> Contact:
    with _at(START):
        return verified_referrer(program, "zoe@example.com")


def _invitation_sent(program: Program, zoe: Contact) -> None:
    invite_by_email(zoe, ["friend@example.org"])


def _friend_claimed_her_offer(program: Program, zoe: Contact) -> None:
    register_referee(program, enrol_referrer(program, zoe.email).code, "friend@example.org")


def _claimed_an_offer(program: Program, zoe: Contact) -> None:
    alice = enrol_referrer(program, "alice@example.com").code
    register_referee(program, alice, zoe.email)


def _order(program: Program, zoe: Contact) -> None:
    OrderFactory(program=program, contact=zoe)


def _reward(program: Program, zoe: Contact) -> None:
    Reward.objects.create(
        program=program,
        recipient=zoe,
        side=Side.REFERRER,
        kind=RewardKind.FIXED_AMOUNT,
        value=Decimal("10"),
        currency="EUR",
    )


def _loyalty_points(program: Program, zoe: Contact) -> None:
    LoyaltyEntry.objects.create(program=program, contact=zoe, kind="custom", points=5, source="api")


def _consent(program: Program, zoe: Contact) -> None:
    ConsentRecord.objects.create(
        program=program,
        contact=zoe,
        channel=ConsentChannel.EMAIL,
        given=True,
        source=ConsentSource.ACCOUNT,
    )


def _message_sent(program: Program, zoe: Contact) -> None:
    now = datetime.now(tz=UTC)
    ScheduledMessage.objects.create(
        program=program,
        contact=zoe,
        kind=MessageKind.INCITATION,
        channel=MessageChannel.EMAIL,
        dedupe_key=f"incitation:{zoe.pk}",
        due_at=now,
        sent_at=now,
        status=MessageStatus.SENT,
    )


def _share_link_clicked(program: Program, zoe: Contact) -> None:
    ShareClick.objects.create(program=program, referrer=zoe)


ACTIVITIES = [
    _invitation_sent,
    _friend_claimed_her_offer,
    _claimed_an_offer,
    _order,
    _reward,
    _loyalty_points,
    _consent,
    _message_sent,
    _share_link_clicked,
]


@pytest.mark.parametrize("activity", ACTIVITIES, ids=lambda f: f.__name__.strip("_"))
def test_each_kind_of_activity_since_the_cutoff_keeps_the_contact(
    program: Program, zoe: Contact, activity: Callable[[Program, Contact], None]
) -> None:
    with _at(START):
        idle = ContactFactory(program=program)
    with _at(RECENT):
        activity(program, zoe)

    with _at(CHECKED_AT):
        inactive = set(inactive_contacts(program))

    assert zoe not in inactive
    assert idle in inactive


@pytest.mark.parametrize("activity", ACTIVITIES, ids=lambda f: f.__name__.strip("_"))
def test_the_same_activity_before_the_cutoff_does_not(
    program: Program, zoe: Contact, activity: Callable[[Program, Contact], None]
) -> None:
    with _at(OLD):
        activity(program, zoe)

    with _at(CHECKED_AT):
        assert zoe in set(inactive_contacts(program))


def test_a_contact_is_inactive_from_exactly_n_months_after_its_last_activity(
    program: Program, zoe: Contact
) -> None:
    deadline = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)  # START + 24 months

    with _at(deadline):
        assert zoe not in set(inactive_contacts(program))
        assert erase_inactive(program) == 0
    with _at(deadline + timedelta(seconds=1)):
        assert list(inactive_contacts(program)) == [zoe]


def test_months_are_calendar_months() -> None:
    assert months_before(datetime(2026, 3, 31, 10, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 10, tzinfo=UTC
    )
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 24) == datetime(2024, 1, 15, tzinfo=UTC)


def test_the_daily_task_erases_the_inactive_contacts_and_says_how_many(
    program: Program, zoe: Contact
) -> None:
    with _at(START):
        idle = [ContactFactory(program=program, phone=f"+336123456{i:02d}") for i in range(3)]
    with _at(RECENT):
        _order(program, zoe)

    with _at(CHECKED_AT):
        assert erase_inactive_contacts.delay().get() == 3
        assert erase_inactive_contacts.delay().get() == 0  # the tombstones are not counted again

    for contact in idle:
        contact.refresh_from_db()
        assert contact.is_erased and contact.email == f"erased-{contact.pk}@invalid"
        assert contact.phone == ""
    zoe.refresh_from_db()
    assert not zoe.is_erased
    run = AuditEvent.objects.get(action="contacts.retention_erased")
    assert (run.actor, run.data) == ("retention", {"months": 24, "erased": 3})
    assert AuditEvent.objects.filter(action="contact.erased", actor="retention").count() == 3


def test_retention_is_off_by_default(zoe: Contact) -> None:
    with _at(START):
        other = ProgramFactory()
        old = ContactFactory(program=other)
    assert other.retention_months is None

    with _at(datetime(2040, 1, 1, tzinfo=UTC)):
        assert not inactive_contacts(other).exists()
        assert erase_inactive_contacts.delay().get() == 1  # zoe's program only

    old.refresh_from_db()
    assert not old.is_erased
    with translation.override("en"):
        assert dry_run_text(other) == "Off: contacts are kept until they ask to be erased."


def test_dry_run_text_counts_without_erasing(program: Program, zoe: Contact) -> None:
    with _at(CHECKED_AT), translation.override("en"):
        text = dry_run_text(program)

    assert text == "1 contact has had no activity for 24 months and would be erased."
    zoe.refresh_from_db()
    assert not zoe.is_erased
    assert settings.CELERY_BEAT_SCHEDULE["parrain-erase-inactive-contacts"]["task"] == (
        "parrain.core.tasks.erase_inactive_contacts"
    )


def test_erased_inactive_contacts_leave_the_import_error_files(
    program: Program, zoe: Contact, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    with _at(START):
        idle = ContactFactory(program=program, email="idle@example.com")
    with _at(RECENT):
        _order(program, zoe)
    lines = "email,error\r\nidle@example.com,Bad date\r\nzoe@example.com,Bad date\r\n"
    contact_import = ContactImport.objects.create(
        program=program,
        status=ImportStatus.DONE,
        error_file=ContentFile(lines.encode(), name="invalid-rows.csv"),
    )

    with _at(CHECKED_AT):
        assert erase_inactive(program) == 1

    contact_import.refresh_from_db()
    with contact_import.error_file.open("rb") as handle:
        assert handle.read().decode() == "email,error\r\nzoe@example.com,Bad date\r\n"
    idle.refresh_from_db()
    assert idle.is_erased
