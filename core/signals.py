"""Signals the core sends after each state change; receivers live in receivers.py.

All are sent after the change is saved, inside the transaction: receivers that talk to the
outside world should use ``transaction.on_commit``.
"""

from django.dispatch import Signal

# sender=Program, contact=Contact, created=bool
referrer_enrolled = Signal()

# sender=Program, invitation=Invitation, referral=Referral | None
invitation_issued = Signal()

# sender=Program, referral=Referral, old_status=str, new_status=str, reason=str
referral_status_changed = Signal()

# sender=Program, order=Order, created=bool
order_recorded = Signal()

# sender=Program, order=Order, refund=Refund
order_refunded = Signal()

# sender=Program, reward=Reward
reward_issued = Signal()

# sender=Program, contact=Contact (already anonymised), personal=PersonalData (from
# core.erasure: what identified the person, for receivers to scrub their own stored copies)
contact_erased = Signal()

# sender=Program, record=ConsentRecord (saved), contact=Contact, current=bool (True: the
# record is now the contact's answer for its channel; False: an older answer kept as proof).
# Sent for each consent given or withdrawn outside imports (widget, account page, unsubscribe
# link, SMS STOP, server API, admin); an import's consents are in its rows
# (``contacts_imported``).
consent_recorded = Signal()

# sender=Program, contact_import=ContactImport (finished: status done, with its counts): an
# import ended (an uploaded file, a regular import, a server API bulk request, the Oscar
# import). Each contact it changed is audited on its own; this is the one signal for all.
contacts_imported = Signal()

# sender=Program, entry=LoyaltyEntry (a new ledger line, never a replay), balance=int (the
# contact's balance after it)
loyalty_recorded = Signal()

# sender=Program, holding=BadgeHolding (the new live row), values=dict (the condition values
# that decided, empty for a manual award), batched=True when it is one of a recompute
# batch's changes (then ``badges_changed`` follows with all of them)
badge_awarded = Signal()

# sender=Program, holding=BadgeHolding (now with lost_at set), values=dict, batched as above
badge_lost = Signal()

# sender=Program, program=Program, changes=list[services.badges.Change]: once per recompute
# batch, after each change's own badge_awarded / badge_lost, for receivers that do better
# with all of them at once (the outbound webhook stores the batch's events in one write)
badges_changed = Signal()

# sender=Program, boost=Boost: sent once each by the periodic task (core.tasks.announce_boosts)
boost_started = Signal()
boost_ended = Signal()

# sender=Program, contest=Contest (now open, its commitment published)
contest_opened = Signal()

# sender=Program, contest=Contest, winners=list[ContestWinner] (the picks of this draw or
# redraw only)
contest_drawn = Signal()

# sender=Program, message=ScheduledMessage (saved with its new status), old_status=str: a
# scheduled message was sent, dropped or failed (core/messaging/engine.py)
message_status_changed = Signal()
