"""The variables a template may use (helper: templates). Flat names only: a template never
reaches an object, so the sandbox has no attribute to protect.

Contract:
- ``VARIABLES: dict[str, Variable]``: every documented name, with its label and help
  (gettext_lazy, FR/EN) and an example value for previews and test sends.
- ``KIND_VARIABLES: dict[MessageKind, tuple[str, ...]]``: the names each kind offers (the
  editors list them beside the template; saving a template that uses another is refused).
- ``context_for(message: ScheduledMessage) -> dict[str, str] | None``: the values at
  sending, read again from the message's subject and contact (a badge lost since, a reward
  cancelled: None, and the engine drops the message with MessageRule.SUBJECT_GONE).
- ``example_context(program, kind, language) -> dict[str, str]``: for previews/test sends.

Names (at least): contact_first_name, referrer_first_name, friend_first_name,
offer_referrer, offer_referee, welcome_code, share_link, reward_code, reward_label,
reward_expiry, badge_name, points_balance, contest_name, contest_prize, boost_label,
boost_ends, personal_message, confirm_link, review_link, unsubscribe_link, shop_name,
shop_address, program_name.
"""

from __future__ import annotations
