"""Table columns for the referral snippets and reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.permissions import policy_registry

from parrain.core.labels import language_label
from parrain.core.models import Contact, ScheduledMessage


class ProgramDateColumn(Column):
    """A date and time in the row's program time zone, e.g. "10/12/2026 00:00", or a day
    ("10/12/2026") for a date.

    Wagtail's ``DateColumn`` says "3 weeks ago", which reads wrong for a boost or a draw in
    the future ("0 minutes ago"), and for the rows of a daily table, and hides the day the
    shop owner chose."""

    def get_value(self, instance: Any) -> str:
        value = super().get_value(instance)
        if not value:
            return ""
        if isinstance(value, date) and not isinstance(value, datetime):
            return formats.date_format(value, "SHORT_DATE_FORMAT")
        program = getattr(instance, "program", None)
        zone = program.tz() if program is not None else None
        return formats.date_format(timezone.localtime(value, zone), "SHORT_DATETIME_FORMAT")


class YesNoColumn(Column):
    """A yes/no field as Wagtail's tick or cross, named "Yes" or "No" in the user's
    language for screen readers and the tooltip (Wagtail's ``BooleanColumn`` names them
    "True" and "False")."""

    cell_template_name = "parrain_wagtail/admin/yes_no_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: dict) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        context["label"] = _("Yes") if context["value"] else _("No")
        return context


class LanguageColumn(Column):
    """A language code as its name in the user's language: "fr" → "French" (« Français »)."""

    def get_value(self, instance: Any) -> str:
        return language_label(super().get_value(instance) or "")


class ContactColumn(Column):
    """A contact's email, linked to their contact page for users who may see contacts,
    else to their message history for users who may see that."""

    cell_template_name = "parrain_wagtail/admin/contact_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: dict) -> dict:
        context = super().get_cell_context_data(instance, parent_context)
        contact = self.get_value(instance)
        request = parent_context.get("request")
        context["email"] = getattr(contact, "email", "") or ""
        context["url"] = ""
        if contact is None or request is None:
            return context
        if policy_registry.get_by_type(Contact).user_has_permission(request.user, "view"):
            context["url"] = reverse("parrain_wagtail:contact_detail", args=[contact.pk])
        elif policy_registry.get_by_type(ScheduledMessage).user_has_permission(
            request.user, "view"
        ):
            context["url"] = f"{reverse('parrain_wagtail:message_history')}?contact={contact.pk}"
        return context
