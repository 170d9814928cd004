"""Admin: endpoints in and out, what came in and why, every attempt out, replay."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from parrain.core.conf import parrain_settings

from .http_client import UnsafeTarget, check_target
from .models import (
    InboundDelivery,
    InboundEndpoint,
    OutboundAttempt,
    OutboundEndpoint,
    OutboundMessage,
)
from .outbound import delivery
from .outbound.events import EVENT_TYPES


class ReadOnlyAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class InboundEndpointForm(forms.ModelForm):
    saleor_api_url = forms.URLField(
        label=_("Saleor API URL"),
        required=False,
        assume_scheme="https",
        help_text=InboundEndpoint._meta.get_field("saleor_api_url").help_text,
    )

    class Meta:
        model = InboundEndpoint
        fields = ["program", "source", "secret", "saleor_api_url", "is_active"]


@admin.register(InboundEndpoint)
class InboundEndpointAdmin(admin.ModelAdmin):
    form = InboundEndpointForm
    list_display = ["program", "source", "url", "is_active", "created_at"]
    list_filter = ["source", "is_active", "program"]
    readonly_fields = ["url"]
    fields = ["program", "source", "url", "secret", "saleor_api_url", "is_active"]

    @admin.display(description=_("URL to paste in the shop"))
    def url(self, obj: InboundEndpoint) -> str:
        if not obj.pk:
            return "—"
        try:
            path = reverse("parrain_webhooks:inbound", args=[obj.program.slug, obj.source])
        except NoReverseMatch:
            return str(_("include parrain.plugins.generic_webhook.urls in the project's URLs"))
        return parrain_settings.BASE_URL.rstrip("/") + path


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "endpoint", "topic", "result", "status_code", "reason"]
    list_filter = ["result", "endpoint__source", "endpoint__program"]
    search_fields = ["delivery_id", "topic", "reason"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in InboundDelivery._meta.fields]


class OutboundEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("event types"),
        choices=[(t, t) for t in EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked means every event."),
    )

    class Meta:
        model = OutboundEndpoint
        fields = ["program", "url", "description", "secret", "event_types", "is_active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_target(url)
        except UnsafeTarget as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


@admin.register(OutboundEndpoint)
class OutboundEndpointAdmin(admin.ModelAdmin):
    form = OutboundEndpointForm
    list_display = ["url", "program", "is_active", "state", "failing_since"]
    list_filter = ["is_active", "program"]
    readonly_fields = ["disabled_at", "disabled_reason", "failing_since"]
    actions = ["enable_again"]

    @admin.display(description=_("state"))
    def state(self, obj: OutboundEndpoint) -> str:
        if obj.is_active:
            return str(_("failing")) if obj.failing_since else str(_("working"))
        return format_html("<strong>{}</strong>", obj.disabled_reason or _("disabled"))

    @admin.action(description=_("Enable again (pending messages are sent)"))
    def enable_again(self, request: HttpRequest, queryset: QuerySet[OutboundEndpoint]) -> None:
        for endpoint in queryset:
            delivery.enable(endpoint)
        self.message_user(request, _("Endpoints enabled again."), messages.SUCCESS)


class AttemptInline(admin.TabularInline):
    model = OutboundAttempt
    extra = 0
    can_delete = False
    fields = [
        "attempted_at",
        "status_code",
        "succeeded",
        "error",
        "duration_ms",
        "response_excerpt",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempt_count",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type", "endpoint__program"]
    search_fields = ["msg_id", "event_type"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]
    inlines = [AttemptInline]
    actions = ["replay"]

    @admin.action(description=_("Send again (replay)"))
    def replay(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        from .tasks import deliver_message

        count = 0
        for message in queryset:
            delivery.replay(message)
            deliver_message.delay(message.pk, force=True)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d message sent again.", "%(count)d messages sent again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
