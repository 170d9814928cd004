"""The queue of scheduled messages (helper: engine).

Contract:
- ``send_due(*, limit: int = 500, now=None) -> Counts``: one batch: due pending rows picked
  ``FOR UPDATE SKIP LOCKED`` (ordered by due_at), each checked again (step active, not
  unsubscribed/erased, consent for the channel, audience conditions, subject still there),
  then the pressure rules for solicitations (quiet hours in the program's time zone, the
  minimum gap, the 7-day cap: the row's due_at moves and ``delayed_by`` says which rule),
  then composed (``templates.compose``) and sent (email: one Django connection per batch;
  SMS: ``sms.get_backend()``), status and audit written in the same transaction.
- A temporary transport error leaves the row pending with ``attempts`` + 1 and due_at
  pushed back (exponential), failed after ``MAX_ATTEMPTS``; a render error fails at once.
- ``send_now(ids: list[int])``: the same for rows due now (transactional steps), called
  after commit by ``scenarios.fire`` so an invitation leaves at once, not at the next beat.
"""

from __future__ import annotations
