"""A program's scenario: the default one, editing steps, every trigger scheduling its
steps, the counts and timeline the admins show, and the forms they wrap."""

from __future__ import annotations

import importlib
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core.exceptions import InvalidInput
from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.forms.messages import ScenarioSettingsForm, ScenarioStepForm
from parrain.core.messaging import engine
from parrain.core.models import AuditEvent, Contact, Program, ScenarioStep, ScheduledMessage
from parrain.core.models.choices import (
    Audience,
    DelayUnit,
    MessageChannel,
    MessageKind,
    MessageRule,
    MessageStatus,
    Recipient,
    Trigger,
)
from parrain.core.services import scenarios
from parrain.core.services.contacts import ContactData, upsert_contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.imports import PastOrderRow, import_past_orders
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    return ProgramFactory()


def scheduled(**filters: object) -> list[tuple[str, str]]:
    rows = ScheduledMessage.objects.filter(**filters).order_by("due_at", "pk")
    return [(row.kind, row.contact.email) for row in rows]


# The default scenario


def test_a_new_program_starts_with_the_default_scenario(program) -> None:
    steps = list(ScenarioStep.objects.filter(program=program).order_by("position"))
    assert [(s.trigger, s.kind, s.is_active) for s in steps] == [
        (trigger, kind, active)
        for trigger, _n, _u, kind, _r, _a, active in scenarios.DEFAULT_SCENARIO
    ]
    reminder = steps[1]
    assert reminder.delay == timedelta(days=3)
    assert reminder.audience == [Audience.NOT_CLAIMED, Audience.NOT_CONVERTED]
    # and installing again changes nothing
    assert len(scenarios.install_default_scenario(program)) == len(steps)
    assert ScenarioStep.objects.filter(program=program).count() == len(steps)


def test_the_migration_installs_the_same_default_scenario() -> None:
    migration = importlib.import_module("parrain.core.migrations.0022_default_scenario")
    assert [
        tuple(map(str, (t, n, u, k, r))) + (a, on)
        for t, n, u, k, r, a, on in migration.DEFAULT_SCENARIO
    ] == [
        tuple(map(str, (t, n, u, k, r))) + ([str(x) for x in a], on)
        for t, n, u, k, r, a, on in scenarios.DEFAULT_SCENARIO
    ]


# Each trigger schedules its steps


def test_invitation_claim_and_registration_schedule_the_friend_messages(program) -> None:
    alice = enrol_referrer(program, "alice@example.com", vouched=True)
    invite_by_email(alice.contact, ["bob@example.org"], personal_message="Tu vas adorer")
    invitation = ScheduledMessage.objects.get(kind=MessageKind.INVITATION)
    # What only the trigger knows travels with the message
    assert invitation.context == {"personal_message": "Tu vas adorer"}
    assert invitation.subject_type == "invitation"
    register_referee(program, alice.code, "bob@example.org")
    assert scheduled(contact__email="bob@example.org") == [
        ("invitation", "bob@example.org"),
        ("welcome", "bob@example.org"),
        ("friend_reminder", "bob@example.org"),  # +3 days after the invitation
        ("friend_reminder", "bob@example.org"),  # +5 days after the claim
    ]


def test_a_claimed_friend_gets_no_not_claimed_reminder(program) -> None:
    alice = enrol_referrer(program, "alice@example.com", vouched=True)
    register_referee(program, alice.code, "bob@example.org")
    # the invitation_sent reminder asks "not claimed": already claimed at scheduling. What
    # the friend did is read when the reminder is due (the trigger's request pays nothing).
    friend = Contact.objects.get(email="bob@example.org")
    scenarios.fire(
        program,
        Trigger.INVITATION_SENT,
        subject=friend.invitations_received.get(),
        people={Recipient.FRIEND: friend},
    )
    reminders = ScheduledMessage.objects.filter(contact=friend, kind=MessageKind.FRIEND_REMINDER)
    engine.send_due(now=max(m.due_at for m in reminders) + timedelta(minutes=1))
    outcome = {(m.step.trigger, m.status, m.reason) for m in reminders.select_related("step")}
    assert (Trigger.INVITATION_SENT, MessageStatus.DROPPED, Audience.NOT_CLAIMED) in outcome


def test_each_referral_step_fires_its_trigger(program, django_capture_on_commit_callbacks) -> None:
    steps = {
        trigger: scenarios.create_step(
            program,
            {"trigger": trigger, "kind": MessageKind.REWARD, "recipient": Recipient.REFERRER},
            actor="test",
        )
        for trigger in (
            Trigger.FRIEND_REGISTERED,
            Trigger.FRIEND_FIRST_ORDER,
            Trigger.REFERRAL_VALIDATED,
        )
    }
    alice = enrol_referrer(program, "alice@example.com", vouched=True)
    register_referee(program, alice.code, "bob@example.org")
    record_order(
        program,
        OrderData(external_id="B-1", email="bob@example.org", amount=Decimal(50), currency="EUR"),
    )
    from parrain.core.services.validation import validate_due

    with django_capture_on_commit_callbacks(execute=True):  # the reward task runs after commit
        validate_due(now=timezone.now() + timedelta(days=program.validation_delay_days + 1))
    for trigger, step in steps.items():
        assert ScheduledMessage.objects.filter(step=step, contact=alice.contact).count() == 1, (
            trigger
        )
    # the referrer's reward notice (reward_issued, default scenario)
    assert ScheduledMessage.objects.filter(
        contact=alice.contact, kind=MessageKind.REWARD, step__trigger=Trigger.REWARD_ISSUED
    ).exists()


def test_an_order_schedules_the_incitation_a_week_later_for_non_referrers(program) -> None:
    record_order(
        program,
        OrderData(external_id="C-1", email="carol@example.com", amount=Decimal(20), currency="EUR"),
    )
    message = ScheduledMessage.objects.get(kind=MessageKind.INCITATION)
    assert message.subject_type == "order"
    assert message.due_at - message.created_at == timedelta(days=7)
    # A referrer who already invited gets none
    alice = enrol_referrer(program, "alice@example.com", vouched=True)
    invite_by_email(alice.contact, ["dan@example.org"])
    record_order(
        program,
        OrderData(external_id="A-1", email="alice@example.com", amount=Decimal(20), currency="EUR"),
    )
    incitation = ScheduledMessage.objects.get(contact=alice.contact, kind=MessageKind.INCITATION)
    engine.send_due(now=incitation.due_at + timedelta(minutes=1))
    incitation.refresh_from_db()
    assert (incitation.status, incitation.reason) == (MessageStatus.DROPPED, Audience.NOT_REFERRER)


def _became_customer_step(program: Program) -> ScenarioStep:
    return scenarios.create_step(
        program,
        {
            "trigger": Trigger.BECAME_CUSTOMER,
            "kind": MessageKind.INCITATION,
            "recipient": Recipient.CONTACT,
            "delay_amount": 2,
            "delay_unit": DelayUnit.DAYS,
        },
        actor="test",
    )


def test_a_contact_becomes_a_customer_by_order_import_or_api_sync(program) -> None:
    step = _became_customer_step(program)
    record_order(
        program,
        OrderData(external_id="O-1", email="order@example.com", amount=Decimal(5), currency="EUR"),
    )
    record_order(  # a second order: already a customer
        program,
        OrderData(external_id="O-2", email="order@example.com", amount=Decimal(5), currency="EUR"),
    )
    import_past_orders(
        program,
        [
            PastOrderRow("P-1", "file@example.com", Decimal(9), "EUR", timezone.now()),
            PastOrderRow("P-2", "file@example.com", Decimal(9), "EUR", timezone.now()),
        ],
    )
    upsert_contact(program, ContactData(email="api@example.com", is_customer=True))
    upsert_contact(program, ContactData(email="api@example.com", is_customer=True))
    upsert_contact(program, ContactData(email="lead@example.com"))  # not a customer
    assert sorted(email for _k, email in scheduled(step=step)) == [
        "api@example.com",
        "file@example.com",
        "order@example.com",
    ]


def _stored(program: Program) -> list[dict[str, object]]:
    """Every column of the program's messages but the id, by dedupe key."""
    rows = ScheduledMessage.objects.filter(program=program).order_by("dedupe_key")
    return [
        {f.attname: getattr(row, f.attname) for f in ScheduledMessage._meta.concrete_fields}
        | {"id": None}
        for row in rows
    ]


def test_fire_many_writes_the_rows_fire_writes_contact_by_contact(
    program, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """fire_many's set-based insert (PostgreSQL) writes the same rows, with the same
    audience conditions, as fire() per contact through bulk_create (the other databases'
    path), and a replay adds nothing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the set-based insert is PostgreSQL's")
    _became_customer_step(program)  # 2 days later, no condition
    for data in (
        {"delay_amount": 0, "audience": [Audience.OPTED_IN]},
        {"delay_amount": 3, "delay_unit": DelayUnit.HOURS, "audience": [Audience.NOT_REFERRER]},
    ):
        scenarios.create_step(
            program,
            {
                "trigger": Trigger.BECAME_CUSTOMER,
                "kind": MessageKind.REVIEW_REQUEST,
                "recipient": Recipient.CONTACT,
                **data,
            },
            actor="test",
        )
    contacts = [
        ContactFactory(program=program, consent_recontact=n % 3 != 0, is_customer=True)
        for n in range(7)
    ]
    contacts[1].unsubscribed_at = timezone.now()
    at = timezone.now()
    firings = [
        scenarios.Firing(c, {Recipient.CONTACT: c}, {"note": f"é {n}"} if n % 2 else None)
        for n, c in enumerate(contacts)
    ]
    with django_capture_on_commit_callbacks() as bulk_callbacks:
        asked = scenarios.fire_many(program, Trigger.BECAME_CUSTOMER, firings, at=at)
    bulk = _stored(program)
    assert asked == len(bulk) == 6 * 2 + 3  # 6 reachable; 3 of them opted in (3rd step)
    assert scenarios.fire_many(program, Trigger.BECAME_CUSTOMER, firings, at=at) == asked
    assert _stored(program) == bulk

    ScheduledMessage.objects.filter(program=program).delete()

    class Elsewhere:  # what insert() reads of the connection: another database
        vendor = "sqlite"

    monkeypatch.setattr(scenarios, "connection", Elsewhere())
    with django_capture_on_commit_callbacks() as one_callbacks:
        for firing in firings:
            scenarios.fire(
                program,
                Trigger.BECAME_CUSTOMER,
                subject=firing.subject,
                people=firing.people,
                context=firing.context,
                at=at,
            )
    assert _stored(program) == bulk
    assert len(bulk_callbacks) == 1 and len(one_callbacks) == 3  # the rows due now, sent


def test_badges_earned_one_by_one_or_in_a_batch_schedule_their_message(program) -> None:
    from parrain.core.models import Badge
    from parrain.core.services import badges

    badge = Badge.objects.create(program=program, names={"en": "Bronze"}, is_active=True)
    alice, bob = ContactFactory(program=program), ContactFactory(program=program)
    holding, _ = badges.award(badge, alice, actor="owner", reason="thanks")
    badges.queue_award_messages([holding, badges.award(badge, bob, actor="owner", reason="x")[0]])
    rows = ScheduledMessage.objects.filter(kind=MessageKind.BADGE_AWARDED)
    assert sorted(r.contact_id for r in rows) == sorted([alice.pk, bob.pk])
    assert {r.subject_type for r in rows} == {"badgeholding"}


def test_a_boost_is_announced_to_opted_in_referrers_only(program) -> None:
    from parrain.core.models import Boost

    yes = enrol_referrer(program, "yes@example.com", vouched=True).contact
    no = enrol_referrer(program, "no@example.com", vouched=True).contact
    Contact.objects.filter(pk=yes.pk).update(consent_recontact=True)
    Contact.objects.filter(pk=no.pk).update(consent_recontact=False)
    ContactFactory(program=program, consent_recontact=True)  # not a referrer
    boost = Boost(program=program, pk=1, name="x")
    scenarios.fire(program, Trigger.BOOST_STARTED, subject=boost, people={})
    assert scheduled(kind=MessageKind.BOOST_ANNOUNCEMENT) == [
        ("boost_announcement", "yes@example.com")
    ]


def test_unknown_trigger_is_refused(program) -> None:
    with pytest.raises(ValueError, match="unknown scenario trigger"):
        scenarios.fire(program, "moon_full", subject=program, people={})
    with pytest.raises(InvalidInput) as refused:
        scenarios.create_step(
            program,
            {"trigger": "moon_full", "kind": MessageKind.REWARD, "recipient": Recipient.CONTACT},
            actor="test",
        )
    assert refused.value.field == "trigger" and refused.value.status == 422
    assert not ScenarioStep.objects.filter(program=program, trigger="moon_full").exists()


def test_unsubscribed_or_erased_contacts_get_nothing_scheduled(program) -> None:
    step = _became_customer_step(program)
    gone = ContactFactory(program=program, unsubscribed_at=timezone.now())
    for contact in (gone,):
        scenarios.fire(
            program, Trigger.BECAME_CUSTOMER, subject=contact, people={Recipient.CONTACT: contact}
        )
    assert not ScheduledMessage.objects.filter(step=step).exists()


def test_erasing_a_contact_scrubs_its_messages_and_the_notes_it_wrote(program) -> None:
    from parrain.core.services.erasure import erase_contact

    alice = enrol_referrer(program, "alice@example.com", vouched=True).contact
    invite_by_email(alice, ["bob@example.org"], personal_message="Bob, c'est Alice Martin")
    bob = Contact.objects.get(email="bob@example.org")
    ScheduledMessage.objects.filter(contact=bob, kind=MessageKind.INVITATION).update(
        to="bob@example.org", status=MessageStatus.SENT
    )
    # The referrer's erasure takes back the note they wrote in the friend's message
    erase_contact(alice, actor="owner")
    invitation = ScheduledMessage.objects.get(contact=bob, kind=MessageKind.INVITATION)
    assert invitation.context == {} and invitation.to == "bob@example.org"
    # The friend's own erasure: no address kept, nothing more leaves, the counts stay
    erase_contact(bob, actor="owner")
    rows = {r.kind: r for r in ScheduledMessage.objects.filter(contact=bob)}
    assert rows[MessageKind.INVITATION].status == MessageStatus.SENT
    assert rows[MessageKind.INVITATION].to == ""
    assert rows[MessageKind.FRIEND_REMINDER].status == MessageStatus.DROPPED
    assert rows[MessageKind.FRIEND_REMINDER].reason == MessageRule.ERASED


def test_address_confirmation_goes_through_the_queue(program) -> None:
    contact = ContactFactory(program=program)
    first = scenarios.send_system(MessageKind.CONFIRMATION, contact, context={"held": 2})
    second = scenarios.send_system(MessageKind.CONFIRMATION, contact, context={"held": 3})
    assert first is not None and second is not None and first.pk != second.pk
    assert first.step is None and first.context == {"held": 2}


# Editing steps


def test_step_with_a_recipient_its_trigger_lacks_is_refused(program) -> None:
    before = ScenarioStep.objects.count()
    with pytest.raises(InvalidInput) as refused:
        scenarios.create_step(
            program,
            {
                "trigger": Trigger.ORDER_PLACED,
                "kind": MessageKind.REVIEW_REQUEST,
                "recipient": Recipient.FRIEND,
            },
            actor="test",
        )
    assert refused.value.field == "recipient"
    assert ScenarioStep.objects.count() == before


def test_deleting_a_step_drops_its_waiting_messages_and_keeps_the_sent_ones(program) -> None:
    step = _became_customer_step(program)
    contacts = [ContactFactory(program=program) for _ in range(2)]
    for contact in contacts:
        scenarios.fire(
            program, Trigger.BECAME_CUSTOMER, subject=contact, people={Recipient.CONTACT: contact}
        )
    ScheduledMessage.objects.filter(contact=contacts[0]).update(status=MessageStatus.SENT)
    scenarios.delete_step(step, actor="owner")
    assert not ScenarioStep.objects.filter(pk=step.pk).exists()
    rows = {r.contact_id: r for r in ScheduledMessage.objects.filter(contact__in=contacts)}
    assert rows[contacts[0].pk].status == MessageStatus.SENT
    assert rows[contacts[1].pk].status == MessageStatus.DROPPED
    assert rows[contacts[1].pk].reason == MessageRule.STEP_OFF
    assert AuditEvent.objects.get(action="scenario.step_deleted").data["dropped"] == 1


def test_step_counts_and_timeline(program) -> None:
    step = _became_customer_step(program)
    contacts = [ContactFactory(program=program) for _ in range(4)]
    for contact in contacts:
        scenarios.fire(
            program, Trigger.BECAME_CUSTOMER, subject=contact, people={Recipient.CONTACT: contact}
        )
    rows = list(ScheduledMessage.objects.filter(step=step).order_by("pk"))
    ScheduledMessage.objects.filter(pk=rows[0].pk).update(
        status=MessageStatus.SENT, delayed_by=MessageRule.QUIET_HOURS
    )
    ScheduledMessage.objects.filter(pk=rows[1].pk).update(status=MessageStatus.DROPPED)
    ScheduledMessage.objects.filter(pk=rows[2].pk).update(status=MessageStatus.FAILED)
    counts = scenarios.step_counts(program)[step.pk]
    assert counts == scenarios.StepCounts(sent=1, delayed=1, dropped=1, failed=1, waiting=1)
    timeline = scenarios.timeline(program)
    assert [entry.trigger for entry in timeline][:2] == [
        Trigger.INVITATION_SENT,
        Trigger.FRIEND_CLAIMED,
    ]
    invitation = timeline[0]
    assert [s.step.kind for s in invitation.steps] == ["invitation", "friend_reminder"]
    customer = next(e for e in timeline if e.trigger == Trigger.BECAME_CUSTOMER)
    assert customer.steps[0].counts.sent == 1
    assert list(scenarios.history(contacts[0])) == [rows[0]]


# Forms


def test_step_form_offers_only_the_trigger_s_recipients_and_refuses_others(program) -> None:
    form = ScenarioStepForm(program=program, initial={"trigger": Trigger.ORDER_PLACED})
    assert [v for v, _l in form.fields["recipient"].choices] == [Recipient.CONTACT]
    data = {
        "trigger": Trigger.ORDER_PLACED,
        "kind": MessageKind.REVIEW_REQUEST,
        "recipient": Recipient.FRIEND,
        "delay_amount": 10,
        "delay_unit": DelayUnit.DAYS,
        "channel": MessageChannel.EMAIL,
        "position": 3,
        "is_active": "on",
    }
    refused = ScenarioStepForm(data, program=program)
    assert not refused.is_valid() and "recipient" in refused.errors
    form = ScenarioStepForm(
        {**data, "recipient": Recipient.CONTACT, "audience": [Audience.IS_CUSTOMER]},
        program=program,
    )
    assert form.is_valid(), form.errors
    step = form.save(actor="boss")
    assert step.program == program and step.audience == [Audience.IS_CUSTOMER]
    assert AuditEvent.objects.get(action="scenario.step_created").actor == "boss"


def test_step_form_switching_off_drops_waiting_messages(program) -> None:
    step = _became_customer_step(program)
    contact = ContactFactory(program=program)
    scenarios.fire(
        program, Trigger.BECAME_CUSTOMER, subject=contact, people={Recipient.CONTACT: contact}
    )
    data = {
        "trigger": step.trigger,
        "kind": step.kind,
        "recipient": step.recipient,
        "delay_amount": step.delay_amount,
        "delay_unit": step.delay_unit,
        "channel": step.channel,
        "position": step.position,
    }  # is_active unchecked
    form = ScenarioStepForm(data, program=program, instance=step)
    assert form.is_valid(), form.errors
    form.save(actor="boss")
    assert ScheduledMessage.objects.get(step=step).reason == MessageRule.STEP_OFF


def test_settings_form_saves_pressure_rules_and_a_legal_footer_per_language(program) -> None:
    program.languages = ["fr", "en"]
    program.save()
    data = {
        "messages_per_week": 2,
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
        "min_gap_hours": 24,
        "legal_footer_fr": "Maison Lumière SAS, 1 rue de la Paix, Paris",
        "legal_footer_en": "",
        "shop_address": "1 rue de la Paix\n75002 Paris",
        "review_url": "https://shop.example/avis",
    }
    form = ScenarioSettingsForm(data, instance=program)
    assert set(form.fields) >= {"legal_footer_fr", "legal_footer_en"}
    assert form.is_valid(), form.errors
    form.save(actor="boss")
    program.refresh_from_db()
    assert program.legal_footer == {"fr": "Maison Lumière SAS, 1 rue de la Paix, Paris"}
    assert (program.quiet_hours_start, program.quiet_hours_end) == (time(22), time(7, 30))
    assert program.messages_per_week == 2 and program.min_gap_hours == 24
    assert AuditEvent.objects.filter(action="scenario.settings_changed").exists()


def test_settings_form_wants_both_ends_of_the_quiet_hours(program) -> None:
    form = ScenarioSettingsForm(
        {"messages_per_week": 3, "min_gap_hours": 0, "quiet_hours_start": "21:00"},
        instance=program,
    )
    assert not form.is_valid() and "quiet_hours_end" in form.errors
    assert Program.objects.get(pk=program.pk).quiet_hours_start is None  # nothing stored


def test_pressure_is_computed_for_a_week_of_sends(program) -> None:
    program.messages_per_week, program.min_gap_hours = 2, 0
    program.quiet_hours_start = program.quiet_hours_end = None
    now = datetime(2026, 3, 9, 12, tzinfo=timezone.get_current_timezone())
    sends = [(now - timedelta(days=6), True), (now - timedelta(days=1), True)]
    assert engine.pressure(program, sends, now) == (
        now + timedelta(days=1),
        MessageRule.PRESSURE_CAP,
    )
    # transactional sends do not count for the cap
    assert engine.pressure(program, [(now - timedelta(days=1), False)] * 5, now) == (now, None)
