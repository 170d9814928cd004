"""Receivers connected in ParrainConfig.ready(): the core's own caches follow its models."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save


def forget_widget_config(sender: type, instance: Any, **kwargs: Any) -> None:
    """A program or offer changed: the widget configuration cache is stale."""
    from .api.origins import forget_programs
    from .api.widget import forget_config
    from .services.sharing import forget_targets

    forget_config(getattr(instance, "program_id", None) or instance.pk)
    forget_programs()
    forget_targets()


def forget_share_targets(sender: type, instance: Any, **kwargs: Any) -> None:
    """A deleted contact's share link must stop resolving at once in this process."""
    from .services.sharing import forget_targets

    forget_targets()


def forget_badges(sender: type, instance: Any, **kwargs: Any) -> None:
    """A badge or a condition changed: this process reads the definitions again."""
    from .services.badges import forget

    forget()  # all programs: a cascaded condition may no longer reach its badge


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


def connect() -> None:
    from .models import Boost, Contact, Program, RewardRule

    connect_badges()

    post_delete.connect(forget_share_targets, sender=Contact, dispatch_uid="widget-contact")
    for model in (Program, RewardRule, Boost):
        post_save.connect(forget_widget_config, sender=model, dispatch_uid=f"widget-{model}")
        post_delete.connect(forget_widget_config, sender=model, dispatch_uid=f"widget-d-{model}")
