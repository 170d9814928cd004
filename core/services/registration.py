"""A referee claims the welcome offer with the referrer's code: idempotent per email."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import audit, fraud
from ..exceptions import FulfilmentError, NotFound, Refused
from ..models import Contact, Program, Referral, Reward
from ..models.choices import (
    Channel,
    FraudAction,
    Recipient,
    ReferralStatus,
    RewardStatus,
    Side,
    Trigger,
)
from . import ownership, sharing
from .contacts import get_or_create_contact, record_consent
from .enrolment import referrer_by_code
from .invitations import INVITATION_RULES, issue_invitation
from .offers import welcome_terms_at
from .rewards import complete_reward, issue_reward
from .scenarios import fire
from .transitions import move

logger = logging.getLogger("parrain.rewards")


@dataclass(frozen=True)
class Registration:
    referral: Referral
    reward: Reward | None
    created: bool


REFUSAL_MESSAGES = {
    "self_referral": _("You cannot use your own referral link."),
    "existing_customer": _("The welcome offer is for new customers."),
    "already_referred": _("This email has already been invited by someone else."),
    "disposable_email": _("Please use a permanent email address."),
}


def register_referee(
    program: Program,
    code: str,
    email: str,
    *,
    consent: bool | None = None,
    first_name: str = "",
    channel: str = Channel.LINK,
    source: str = "widget",
    link_click: str = "",
    consent_text: str = "",
) -> Registration:
    """Claim the welcome offer; a refusal is audited (and kept) before it is raised.

    ``link_click`` is the share link's signed click cookie (``sharing.CLICK_COOKIE``), if
    the friend came through it: a new invitation is then dated at the click, so a friend
    who clicked during a boost and claims after it still gets the boost's terms.
    ``consent_text``: the sentence the friend answered ``consent`` to, kept as the proof."""
    invited_at = sharing.click_time(link_click, code, program) or timezone.now()
    with transaction.atomic():
        result = _register(
            program, code, email, (consent, consent_text), first_name, channel, source, invited_at
        )
    if isinstance(result, Registration):
        return _with_code_in_shop(result)
    reason, referee_id, referrer_id = result
    referee = Contact.objects.get(pk=referee_id)
    audit.record(
        program, "registration.refused", reason=reason, contact=referee, referrer=referrer_id
    )
    raise Refused(reason, str(REFUSAL_MESSAGES.get(reason, "")) or None)


def _register(
    program: Program,
    code: str,
    email: str,
    answer: tuple[bool | None, str],
    first_name: str,
    channel: str,
    source: str,
    invited_at: datetime,
) -> Registration | tuple[str, int, int]:
    referrer = referrer_by_code(program, code)
    if referrer is None:
        raise NotFound("This referral code does not exist.", field="code")
    referee, _ = get_or_create_contact(
        program, email, first_name=first_name, language=referrer.language
    )
    consent, text = answer
    if consent is not None:
        record_consent(referee, consent, source, text=text)
    existing = ownership.live_referral(referee, lock=True)
    mine = existing if _is_own(existing, referrer, referee) else None
    if existing is None:
        # This referrer's referral cancelled for cause (refund, fraud) is not claimed again.
        final = ownership.last_cancelled(referee, referrer)
        if final is not None:
            return Registration(referral=final, reward=_welcome_of(final), created=False)
    elif mine is not None and (reward := _welcome_of(mine)) is not None:
        return Registration(referral=mine, reward=reward, created=False)
    check = fraud.Check(program=program, referrer=referrer, referee=referee, existing=existing)
    verdict = fraud.evaluate(check, INVITATION_RULES)
    if verdict.action == FraudAction.BLOCK:
        return verdict.reason, referee.pk, referrer.pk
    referral = mine
    if referral is None:
        _, referral = issue_invitation(referrer, referee, channel, invited_at)
    # With the already-referred rule off, the friend still claims, on the first referral.
    referral = referral or existing
    if referral is None:  # issue_invitation opens one unless a live referral exists
        raise RuntimeError(f"no referral for referee {referee.pk} after the invitation")
    if referral.status == ReferralStatus.INVITED:
        move(referral, ReferralStatus.REGISTERED, action="referral.registered", actor=source)
    return Registration(referral=referral, reward=_welcome(referral, referee), created=True)


#: First retry of a welcome code the shop did not take at claim time (then Celery backoff).
PUSH_RETRY_SECONDS = 30


def _with_code_in_shop(registration: Registration) -> Registration:
    """A remote shop gets the welcome code right after the claim commits, with no lock held.

    The friend is shown the code at once either way: it was decided and committed in the
    claim. If the shop fails, the reward stays pending and a task retries with the same
    code (then the validation sweep), so the code becomes valid in the shop a bit later.
    """
    from ..tasks import complete_pending_reward

    reward = registration.reward
    if reward is None or reward.status != RewardStatus.PENDING:
        return registration
    try:
        reward = complete_reward(reward.pk)
    except FulfilmentError:
        logger.warning("welcome code of reward %s not created in the shop yet", reward.pk)
        try:
            complete_pending_reward.apply_async((reward.pk,), countdown=PUSH_RETRY_SECONDS)
        except Exception:  # broker down, or the retries ran out: the sweep takes it over
            logger.warning("reward %s left to the sweep", reward.pk, exc_info=True)
    return replace(registration, reward=reward)


def invited_when(referral: Referral) -> datetime:
    """When the invitation that holds the referral's terms was issued."""
    return referral.invitation.issued_at if referral.invitation else referral.invited_at


def _welcome_of(referral: Referral) -> Reward | None:
    return Reward.objects.filter(referral=referral, side=Side.REFEREE).first()


def _is_own(referral: Referral | None, referrer: Contact, referee: Contact) -> bool:
    if referral is None:
        return False
    return referral.referrer_id == referrer.pk and referral.referee_id == referee.pk


def _welcome(referral: Referral, referee) -> Reward | None:  # type: ignore[no-untyped-def]
    """The welcome offer in force when the friend was invited (a boost's, for a friend
    invited during one who claims after it ended)."""
    terms = welcome_terms_at(referral.program, invited_when(referral))
    if terms is None:
        return None
    reward = issue_reward(referral, Side.REFEREE, terms)
    fire(
        referral.program,
        Trigger.FRIEND_CLAIMED,
        subject=referral,
        people={Recipient.FRIEND: referee, Recipient.REFERRER: referral.referrer},
    )
    return reward
