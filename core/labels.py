"""Words a shop owner reads for the codes the core stores: audit actions, reasons, language
codes and actors.

Every admin (Django admin, Oscar dashboard, Wagtail) shows ``action_label`` and
``reason_label`` instead of the stored code. A code without an entry here (one from an
older version, or a plugin's own) is humanised rather than shown raw:
``"import_schedule.fetched"`` reads "Import schedule: fetched". ``tests/core/test_labels.py``
fails when an action used in the code base has no entry.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .models.choices import Audience, MessageRule, ReferralStatus

ACTIONS: dict[str, Promise] = {
    # referrals
    "referral.invited": _("Friend invited"),
    "referral.registered": _("Friend claimed the welcome offer"),
    "referral.attributed": _("Order attributed to the referral"),
    "referral.held": _("Referral held for review"),
    "referral.refused": _("Referral refused"),
    "referral.approved": _("Referral approved"),
    "referral.rejected": _("Referral rejected"),
    "referral.validated": _("Referral validated"),
    "referral.rewarded": _("Referrer rewarded"),
    "referral.cancelled": _("Referral cancelled"),
    "referral.superseded": _("Referral taken over by another referrer"),
    "referral.terms_improved": _("Better offer applied to the invitation"),
    "referrer.enrolled": _("Referrer signed up"),
    "registration.refused": _("Welcome offer refused"),
    # invitations
    "invitation.refused": _("Invitation refused"),
    "invitation.held": _("Invitation waiting for the referrer's confirmation"),
    "invitation.released": _("Held invitation sent"),
    "invitation.dropped": _("Held invitation dropped"),
    "invitation.budget_reached": _("Daily invitation limit reached"),
    # orders and rewards
    "order.not_attributed": _("Order not attributed"),
    "order.refunded": _("Order refunded"),
    "orders.imported": _("Orders imported"),
    "refund.partial_kept": _("Partial refund: referral kept"),
    "refund.after_validation": _("Refund after validation"),
    "reward.issued.referrer": _("Referrer reward issued"),
    "reward.issued.referee": _("Welcome offer issued"),
    "reward.issued.prize": _("Contest prize issued"),
    "reward.cancelled": _("Reward cancelled"),
    "loyalty.recorded": _("Loyalty points recorded"),
    # contacts
    "contact.confirmation_sent": _("Address confirmation sent"),
    "contact.email_confirmed": _("Email address confirmed"),
    "contact.erased": _("Contact erased (GDPR)"),
    "contact.exported": _("Contact data exported"),
    "contact.phone_changed": _("Mobile number changed"),
    "contact.sms_consent": _("SMS consent changed"),
    "contact.sms_unsubscribed": _("Unsubscribed from SMS"),
    "contact.unsubscribed": _("Unsubscribed from emails"),
    "contact.resubscribed": _("Subscribed to emails again"),
    "contacts.imported": _("Contacts imported"),
    "contacts.import_cancelled": _("Contact import cancelled"),
    "contacts.import_abandoned": _("Contact import left waiting, its file deleted"),
    "contacts.retention_erased": _("Inactive contacts erased (retention)"),
    "import_schedule.created": _("Regular import set up"),
    "import_schedule.changed": _("Regular import changed"),
    "import_schedule.deleted": _("Regular import deleted"),
    "import_schedule.fetched": _("Regular import fetched"),
    "import_schedule.failed": _("Regular import failed"),
    # messages
    "message.pending": _("Message waiting"),
    "message.sent": _("Message sent"),
    "message.dropped": _("Message not sent"),
    "message.failed": _("Message failed"),
    "message_template.saved": _("Message template saved"),
    "message_template.reset": _("Message template reset to default"),
    "scenario.settings_changed": _("Scenario limits changed"),
    "scenario.step_created": _("Scenario step added"),
    "scenario.step_updated": _("Scenario step changed"),
    "scenario.step_deleted": _("Scenario step deleted"),
    # program setup
    "program.created": _("Program created"),
    "program.updated": _("Program settings changed"),
    "reward_rule.created": _("Reward rule added"),
    "reward_rule.updated": _("Reward rule changed"),
    "reward_rule.deleted": _("Reward rule deleted"),
    "contacts.exported": _("Contact list exported"),
    "program.messages_reviewed": _("Messages marked as reviewed"),
    "api_key.created": _("Secret API key created"),
    "api_key.rotated": _("Secret API key replaced"),
    "api_key.revoked": _("Secret API key revoked"),
    "webhook_endpoint.created": _("Webhook endpoint added"),
    "webhook_endpoint.changed": _("Webhook endpoint changed"),
    "webhook_endpoint.deleted": _("Webhook endpoint deleted"),
    "secret.revealed": _("Secret shown"),
    "secret.rotated": _("Secret replaced"),
    "landing.changed": _("Landing page changed"),
    "landing.refused": _("Landing page change refused"),
    # gamification
    "badge.created": _("Badge created"),
    "badge.updated": _("Badge changed"),
    "badge.deleted": _("Badge deleted"),
    "badge.conditions_changed": _("Badge conditions changed"),
    "badge.image_changed": _("Badge image changed"),
    "badge.awarded": _("Badge earned"),
    "badge.lost": _("Badge lost"),
    "boost.created": _("Boosted offer created"),
    "boost.updated": _("Boosted offer changed"),
    "boost.deleted": _("Boosted offer deleted"),
    "boost.started": _("Boosted offer started"),
    "boost.ended": _("Boosted offer ended"),
    "contest.created": _("Contest created"),
    "contest.updated": _("Contest changed"),
    "contest.opened": _("Contest opened"),
    "contest.cancelled": _("Contest cancelled"),
    "contest.deleted": _("Contest deleted"),
    "contest.opted_in": _("Took part in a contest"),
    "contest.entries_frozen": _("Contest entries closed"),
    "contest.drawn": _("Contest drawn"),
    "contest.redrawn": _("Prize drawn again"),
    "contest.prize_delivered": _("Prize delivered"),
}

REASONS: dict[str, Promise] = {
    # fraud rules (core/fraud.py)
    "self_referral": _("Referred themselves"),
    "existing_customer": _("Already a customer"),
    "already_referred": _("Already referred by someone else"),
    "disposable_email": _("Disposable email address"),
    "monthly_reward_cap": _("Monthly reward limit reached"),
    "daily_invitation_cap": _("Daily invitation limit reached"),
    # attribution (core/services/orders.py): how an order was linked, or why not
    "welcome_code": _("Welcome code used at checkout"),
    "referral_code": _("Referral link or code"),
    "email": _("Friend's email address"),
    "order_before_invitation": _("Order placed before the invitation"),
    "unverified_referrer": _("Referrer's address not confirmed"),
    "attribution_window_passed": _("Too long after the invitation"),
    "below_minimum": _("Order below the minimum amount"),
    "welcome_code_other_person": _("Welcome code used by someone else"),
    # validation, cancellation, review
    "delay_passed": _("Validation delay passed"),
    "refunded": _("Order refunded"),
    "refund": _("Order refunded"),
    "kept": _("Kept"),
    "rejected_in_review": _("Rejected in review"),
    "referral_cancelled": _("Referral cancelled"),
    "reward_cancelled": _("Reward cancelled"),
    "prize_redrawn": _("Prize drawn again"),
    "superseded_expired": _("Invitation expired: another referrer took over"),
    "superseded_unverified": _("Referrer unconfirmed: another referrer took over"),
    # other
    "fetch_failed": _("The file could not be fetched"),
    "no_change_program_permission": _("No permission to change the program"),
}


def humanise(code: str) -> str:
    """``"import_schedule.fetched"`` → "Import schedule: fetched": never the raw code."""
    parts = [part.replace("_", " ").strip() for part in str(code).split(".") if part]
    if not parts:
        return ""
    text = ": ".join(parts)
    return text[:1].upper() + text[1:]


def action_label(code: str) -> str:
    """What an audit action means, in the active language."""
    if not code:
        return ""
    label = ACTIONS.get(code)
    return str(label) if label is not None else humanise(code)


def reason_label(code: str) -> str:
    """What a reason code (fraud rule, attribution route, message rule…) means."""
    if not code:
        return ""
    label = REASONS.get(code)
    if label is not None:
        return str(label)
    for choices in (MessageRule, Audience):
        if code in choices.values:
            return str(choices(code).label)
    if code.startswith("referral_") and code[9:] in ReferralStatus.values:
        status = ReferralStatus(code[9:]).label
        return str(_("Referral already %(status)s") % {"status": str(status).lower()})
    return humanise(code) if _looks_like_code(code) else code


def _looks_like_code(text: str) -> bool:
    """A stored code (``"fetch_failed"``), not a sentence someone typed as a reason."""
    return " " not in text and text == text.lower()


#: The languages a program speaks, named in the reader's language ("Français" / "French").
LANGUAGES: dict[str, Promise] = {"fr": _("French"), "en": _("English")}
#: Actors that are no person: the part of Parrain that acted.
ACTORS: dict[str, Promise] = {
    "widget": _("Widget"),
    "system": _("Parrain"),
    "demo": _("Demo"),
    "contact": _("The contact"),
    "webhook": _("Webhook"),
    "schedule": _("Regular import"),
    "import": _("Contact import"),
    "oscar-import": _("Oscar import"),
}


def language_label(code: str) -> str:
    """``"en"`` → "English" (« Anglais » in French); an unknown code stays as it is."""
    if not code:
        return ""
    label = LANGUAGES.get(code)
    if label is not None:
        return str(label)
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def actor_label(actor: str) -> str:
    """Who acted, as a person reads it: the user behind ``wagtail:3`` or
    ``oscar-dashboard:3`` (their name, else their username), a part of Parrain ("Widget"),
    else the stored text (a Django admin username)."""
    from django.contrib.auth import get_user_model

    prefix, _sep, pk = (actor or "").rpartition(":")
    if prefix in ("wagtail", "oscar-dashboard") and pk.isdigit():
        user = get_user_model().objects.filter(pk=int(pk)).first()
        if user is not None:
            full_name = getattr(user, "get_full_name", lambda: "")()
            return str(full_name or user.get_username())
    if prefix == "api" and pk:
        return str(_("Server API, key %(key)s…") % {"key": pk})
    label = ACTORS.get(actor or "")
    return str(label) if label is not None else (actor or "")
