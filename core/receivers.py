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


def connect() -> None:
    from .models import Contact, Program, RewardRule

    post_delete.connect(forget_share_targets, sender=Contact, dispatch_uid="widget-contact")
    for model in (Program, RewardRule):
        post_save.connect(forget_widget_config, sender=model, dispatch_uid=f"widget-{model}")
        post_delete.connect(forget_widget_config, sender=model, dispatch_uid=f"widget-d-{model}")
