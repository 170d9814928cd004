"""The Django admin's columns and filters for codes and amounts: words, never codes.

``CodeLabelsMixin`` adds the ``*_label`` columns (``core.labels``); ``ActionFilter`` and
``ReasonFilter`` list the labels (from the table, not a scan of a large table);
``money_column`` writes an amount with its currency (``core.formats``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import labels
from .formats import format_money


def _attr(obj: Model, path: str) -> Any:
    for name in path.split("__"):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def money_column(
    field: str, currency: str, description: str | Promise, *, order: str | None = None
) -> Callable[..., str]:
    """A column showing ``obj.<field>`` in the currency at ``obj.<currency>`` (a path)."""

    def column(self: Any, obj: Model) -> str:
        amount = _attr(obj, field)
        return format_money(amount, _attr(obj, currency) or "") if amount is not None else "-"

    return admin.display(description=description, ordering=order)(column)


class CodeLabelsMixin:
    """Columns for the codes a shop owner would otherwise read raw."""

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj: Model) -> str:
        return labels.action_label(getattr(obj, "action", "")) or "-"

    @admin.display(description=_("reason"))
    def reason_label(self, obj: Model) -> str:
        return labels.reason_label(getattr(obj, "reason", "")) or "-"

    @admin.display(description=_("review reason"))
    def review_reason_label(self, obj: Model) -> str:
        return labels.reason_label(getattr(obj, "review_reason", "")) or "-"

    @admin.display(description=_("cancellation reason"))
    def cancel_reason_label(self, obj: Model) -> str:
        return labels.reason_label(getattr(obj, "cancel_reason", "")) or "-"


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = [(code, str(label)) for code, label in labels.ACTIONS.items()]
        return sorted(choices, key=lambda choice: choice[1].lower())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset


class ReasonFilter(admin.SimpleListFilter):
    """A filter on a reason field; ``ReasonFilter.on("cancel_reason", _("…"))``."""

    field = "reason"

    @classmethod
    def on(cls, field: str, title: str | Promise) -> type[ReasonFilter]:
        attrs = {"field": field, "title": title, "parameter_name": field}
        return type(f"{field.title().replace('_', '')}Filter", (cls,), attrs)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = [(code, labels.reason_label(code)) for code in labels.REASONS]
        return sorted(choices, key=lambda choice: choice[1].lower())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset
