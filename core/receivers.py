"""Receivers connected in ParrainConfig.ready(): the core's own caches follow its models."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save


def forget_widget_config(sender: type, instance: Any, **kwargs: Any) -> None:
    """A program or offer changed: the widget configuration cache is stale."""
    from .api.origins import forget_programs
    from .api.widget import forget_config
    from .services.offers import forget_offers
    from .services.sharing import forget_targets

    forget_config(getattr(instance, "program_id", None) or instance.pk)
    forget_programs()
    forget_targets()
    forget_offers()


def forget_share_targets(sender: type, instance: Any, **kwargs: Any) -> None:
    """A deleted contact's share link must stop resolving at once in this process."""
    from .services.sharing import forget_targets

    forget_targets()


def forget_badges(sender: type, instance: Any, **kwargs: Any) -> None:
    """A badge or a condition changed: this process reads the definitions again."""
    from .services.badges import forget
    from .services.offers import forget_offers

    forget()  # all programs: a cascaded condition may no longer reach its badge
    forget_offers()  # a rule a badge carries is no longer a program's normal offer


# Incremental badge evaluation (core/services/badge_queue.py): which contact each event
# can move. Referral events move the referrer's figures; ledger and order events the
# customer's; a badge won or lost moves the badges that require it.


def badges_after_invitation(sender: Any, invitation: Any, **kwargs: Any) -> None:
    from .services.badge_queue import evaluate_later

    evaluate_later(invitation.program, invitation.referrer_id)


def badges_after_status(sender: Any, referral: Any, **kwargs: Any) -> None:
    from .services.badge_queue import evaluate_later

    evaluate_later(referral.program, referral.referrer_id)


def badges_after_order(sender: Any, order: Any, **kwargs: Any) -> None:
    from .services.badge_queue import evaluate_later

    evaluate_later(order.program, order.contact_id)
    if order.referral_id is not None:  # a refund lowers the referrer's referred revenue
        evaluate_later(order.program, order.referral.referrer_id)


def badges_after_loyalty(sender: Any, entry: Any, **kwargs: Any) -> None:
    from .services.badge_queue import evaluate_later

    evaluate_later(entry.program, entry.contact_id)


def badges_after_badge(sender: Any, holding: Any, **kwargs: Any) -> None:
    from .services.badge_queue import evaluate_later

    evaluate_later(holding.badge.program, holding.contact_id)


def connect_badges() -> None:
    from . import signals
    from .models import Badge, BadgeCondition

    for model in (Badge, BadgeCondition):
        post_save.connect(forget_badges, sender=model, dispatch_uid=f"badges-{model}")
        post_delete.connect(forget_badges, sender=model, dispatch_uid=f"badges-d-{model}")
    events = {
        signals.invitation_issued: badges_after_invitation,
        signals.referral_status_changed: badges_after_status,
        signals.order_recorded: badges_after_order,
        signals.order_refunded: badges_after_order,
        signals.loyalty_recorded: badges_after_loyalty,
        signals.badge_awarded: badges_after_badge,
        signals.badge_lost: badges_after_badge,
    }
    for n, (signal, receiver) in enumerate(events.items()):
        signal.connect(receiver, dispatch_uid=f"badges-{n}-{receiver.__name__}")


def forget_boosted_config(sender: type, boost: Any, **kwargs: Any) -> None:
    """A boost started or ended: this process's widget configuration says so at once."""
    from .api.widget import forget_config

    forget_config(boost.program_id)


# Scenarios (issue 13): each state change fires its trigger; core/services/scenarios.py
# schedules the program's active steps for it. Invitations, claims, new customers and
# contest winners fire from their services, where the context is known.


def scenario_after_status(sender: Any, referral: Any, new_status: str, **kwargs: Any) -> None:
    from .models.choices import Recipient, ReferralStatus, Trigger
    from .services.scenarios import fire

    trigger = {
        ReferralStatus.REGISTERED: Trigger.FRIEND_REGISTERED,
        ReferralStatus.CONVERTED: Trigger.FRIEND_FIRST_ORDER,
        ReferralStatus.VALIDATED: Trigger.REFERRAL_VALIDATED,
    }.get(new_status)
    if trigger is not None:
        people = {Recipient.FRIEND: referral.referee, Recipient.REFERRER: referral.referrer}
        fire(referral.program, trigger, subject=referral, people=people)


def scenario_after_order(sender: Any, order: Any, created: bool, **kwargs: Any) -> None:
    from .models.choices import Recipient, Trigger
    from .services.scenarios import fire

    if created and order.contact_id is not None:
        people = {Recipient.CONTACT: order.contact}
        fire(order.program, Trigger.ORDER_PLACED, subject=order, people=people)


def scenario_after_reward(sender: Any, reward: Any, **kwargs: Any) -> None:
    """A referrer's reward; a friend's welcome offer is the ``friend_claimed`` trigger and
    a contest prize the ``contest_drawn`` one."""
    from .models.choices import Recipient, Side, Trigger
    from .services.scenarios import fire

    if reward.side == Side.REFERRER:
        people = {Recipient.CONTACT: reward.recipient}
        fire(reward.program, Trigger.REWARD_ISSUED, subject=reward, people=people)


def scenario_after_boost(sender: Any, boost: Any, **kwargs: Any) -> None:
    from .models.choices import Trigger
    from .services.scenarios import fire

    fire(boost.program, Trigger.BOOST_STARTED, subject=boost, people={})


def default_scenario(
    sender: type, instance: Any, created: bool, raw: bool = False, **kw: Any
) -> None:
    """A new program starts with the default scenario (the owner edits it from there)."""
    from .services.scenarios import install_default_scenario

    if created and not raw:
        install_default_scenario(instance)


def forget_scenario(sender: type, instance: Any, **kwargs: Any) -> None:
    from .services.scenarios import forget

    forget(instance.program_id)


def connect_scenarios() -> None:
    from . import signals
    from .models import Program, ScenarioStep

    post_save.connect(default_scenario, sender=Program, dispatch_uid="scenario-default")
    post_save.connect(forget_scenario, sender=ScenarioStep, dispatch_uid="scenario-step")
    post_delete.connect(forget_scenario, sender=ScenarioStep, dispatch_uid="scenario-step-d")
    events = {
        signals.referral_status_changed: scenario_after_status,
        signals.order_recorded: scenario_after_order,
        signals.reward_issued: scenario_after_reward,
        signals.boost_started: scenario_after_boost,
    }
    for signal, receiver in events.items():
        signal.connect(receiver, dispatch_uid=f"scenario-{receiver.__name__}")


def connect() -> None:
    from . import signals
    from .models import Boost, Contact, Program, RewardRule

    connect_badges()
    connect_scenarios()

    post_delete.connect(forget_share_targets, sender=Contact, dispatch_uid="widget-contact")
    signals.boost_started.connect(forget_boosted_config, dispatch_uid="widget-boost-start")
    signals.boost_ended.connect(forget_boosted_config, dispatch_uid="widget-boost-end")
    for model in (Program, RewardRule, Boost):
        post_save.connect(forget_widget_config, sender=model, dispatch_uid=f"widget-{model}")
        post_delete.connect(forget_widget_config, sender=model, dispatch_uid=f"widget-d-{model}")
