"""The contact page's privacy parts in the Django admin (issue 14): the consent history,
the export download (right of access), and SMS consent edits kept as consent records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import Contact
from .models.choices import ConsentChannel, ConsentSource
from .privacy_views import consent_history_html, download
from .services import consents


class TagsField(forms.CharField):
    """A contact's tags as one line, "vip, newsletter", instead of the JSON list."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(str(tag) for tag in value)
        return super().prepare_value(value)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        tags: list[str] = []
        for tag in (part.strip() for part in text.replace(";", ",").split(",")):
            if tag and tag not in tags:
                tags.append(tag)
        return tags


class ContactAdminForm(forms.ModelForm):
    """No ``Meta``: the admin builds the form with the model and its own field list."""

    tags = TagsField(
        label=capfirst(_("tags")),
        required=False,
        help_text=_("Separated by commas, e.g. vip, newsletter."),
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )

    def clean_sms_consent(self) -> bool | None:
        value = self.cleaned_data.get("sms_consent")
        if value is None and self.instance.sms_consent is not None:
            raise forms.ValidationError(
                _("A consent cannot be unset: record it as refused instead."),
                code="consent_unset",
            )
        return value


class ContactPrivacyAdminMixin:
    """Mixed into ``ContactAdmin``."""

    form = ContactAdminForm
    change_form_template = "admin/parrain/contact/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        return (*fields, "sms_consent_at", "consent_history")

    def consent_history(self, obj: Contact | None) -> str:
        return consent_history_html(obj)

    consent_history.short_description = _("consent history")  # type: ignore[attr-defined]

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/export/",
                self.admin_site.admin_view(self.export_view),  # type: ignore[attr-defined]
                name="parrain_contact_export",
            )
        ]
        return own + super().get_urls()  # type: ignore[misc]

    def export_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The contact's data as a JSON file, for staff who may view contacts; audited."""
        contact = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if not self.has_view_permission(request, contact):  # type: ignore[attr-defined]
            raise PermissionDenied
        if contact is None:
            raise Http404
        return download(contact, actor=request.user.get_username())

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        """An SMS consent changed here is recorded (source admin, by the staff user)."""
        answer = obj.sms_consent
        changed = change and "sms_consent" in form.changed_data and answer is not None
        if changed:
            obj.sms_consent = form.initial.get("sms_consent")
        with transaction.atomic():
            super().save_model(request, obj, form, change)  # type: ignore[misc]
            if changed:
                consents.record(
                    obj,
                    ConsentChannel.SMS,
                    bool(answer),
                    source=ConsentSource.ADMIN,
                    actor=request.user.get_username(),
                )
