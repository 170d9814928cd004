"""Receivers connected in ParrainConfig.ready(): the core's own caches follow its models."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save


def forget_widget_config(sender: type, instance: Any, **kwargs: Any) -> None:
    """A program or offer changed: the widget configuration cache is stale."""
    from .api.widget import forget_config

    forget_config(getattr(instance, "program_id", None) or instance.pk)


def connect() -> None:
    from .models import Program, RewardRule

    for model in (Program, RewardRule):
        post_save.connect(forget_widget_config, sender=model, dispatch_uid=f"widget-{model}")
        post_delete.connect(forget_widget_config, sender=model, dispatch_uid=f"widget-d-{model}")
