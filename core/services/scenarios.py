"""A program's scenario: its steps, and the messages a trigger schedules (helper: engine).

Contract:
- ``fire(program, trigger, *, subject, people: Mapping[Recipient, Contact], context=None,
  at=None) -> int``: one ``ScheduledMessage`` per active step of ``trigger`` (steps cached
  per program, forgotten when a step is saved or deleted) whose recipient is in ``people``
  and meets the step's audience now; ``bulk_create(ignore_conflicts=True)`` on the dedupe
  key, so a replayed trigger schedules nothing twice; rows due now are sent after commit
  (``engine.send_now``). Must add ≤ 2 ms to the request that fires it (bench/scenarios.py).
  BOOST_STARTED fans out to every referrer of the program (in batches).
- Triggers are fired where the state changes: receivers of the core signals
  (invitation_issued, referral_status_changed, order_recorded, reward_issued,
  badge_awarded, contest_drawn, boost_started) and the places a contact becomes a customer
  (orders, file import, API sync).
- ``send_system(kind, contact, *, subject=None, context=None) -> ScheduledMessage | None``:
  a message no step sends (the address confirmation), through the same queue, at once.
- ``install_default_scenario(program) -> list[ScenarioStep]``: ``DEFAULT_SCENARIO``, on a
  new program (post_save) and for programs that existed before migration 0021 (0022).
- ``create_step(program, data, *, actor) / update_step(step, data, *, actor) /
  delete_step(step, *, actor)``: audited ("scenario.step_created" …); deleting or
  switching off a step drops its waiting messages (MessageRule.STEP_OFF).
- ``step_counts(program) -> dict[int, StepCounts]``: sent / delayed / dropped / failed /
  waiting per step, one grouped query.
- ``history(contact) -> QuerySet[ScheduledMessage]``: newest first, with step.
- ``timeline(program) -> list[TimelineEntry]``: steps grouped by trigger, in order of delay,
  with their counts: what every admin shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.choices import Audience, DelayUnit, MessageChannel, MessageKind, Recipient, Trigger


@dataclass(frozen=True)
class StepCounts:
    sent: int = 0
    delayed: int = 0  # sent or waiting after at least one pressure delay
    dropped: int = 0
    failed: int = 0
    waiting: int = 0


# (trigger, delay amount, unit, kind, recipient, audience, active)
DEFAULT_SCENARIO: list[tuple[str, int, str, str, str, list[str], bool]] = [
    (
        Trigger.INVITATION_SENT,
        0,
        DelayUnit.MINUTES,
        MessageKind.INVITATION,
        Recipient.FRIEND,
        [],
        True,
    ),
    (
        Trigger.INVITATION_SENT,
        3,
        DelayUnit.DAYS,
        MessageKind.FRIEND_REMINDER,
        Recipient.FRIEND,
        [Audience.NOT_CLAIMED, Audience.NOT_CONVERTED],
        True,
    ),
    (Trigger.FRIEND_CLAIMED, 0, DelayUnit.MINUTES, MessageKind.WELCOME, Recipient.FRIEND, [], True),
    (
        Trigger.FRIEND_CLAIMED,
        5,
        DelayUnit.DAYS,
        MessageKind.FRIEND_REMINDER,
        Recipient.FRIEND,
        [Audience.NOT_CONVERTED],
        True,
    ),
    (Trigger.REWARD_ISSUED, 0, DelayUnit.MINUTES, MessageKind.REWARD, Recipient.CONTACT, [], True),
    (
        Trigger.ORDER_PLACED,
        7,
        DelayUnit.DAYS,
        MessageKind.INCITATION,
        Recipient.CONTACT,
        [Audience.NOT_REFERRER],
        True,
    ),
    (
        Trigger.ORDER_PLACED,
        10,
        DelayUnit.DAYS,
        MessageKind.REVIEW_REQUEST,
        Recipient.CONTACT,
        [],
        False,
    ),
    (
        Trigger.BADGE_EARNED,
        0,
        DelayUnit.MINUTES,
        MessageKind.BADGE_AWARDED,
        Recipient.CONTACT,
        [],
        True,
    ),
    (
        Trigger.CONTEST_DRAWN,
        0,
        DelayUnit.MINUTES,
        MessageKind.CONTEST_WON,
        Recipient.CONTACT,
        [],
        True,
    ),
    (
        Trigger.BOOST_STARTED,
        0,
        DelayUnit.MINUTES,
        MessageKind.BOOST_ANNOUNCEMENT,
        Recipient.REFERRER,
        [Audience.OPTED_IN],
        True,
    ),
]
DEFAULT_CHANNEL = MessageChannel.EMAIL
