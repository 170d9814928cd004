"""Admin: endpoints in and out, what came in and why, every attempt out, replay.

Endpoints are created, changed, rotated and deleted through ``endpoints.py``, the service
the management API uses: the same checks, one audit entry naming the staff user, and a
secret Parrain made shown once, on the page that follows the creation.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from parrain.core.admin_secrets import SecretsAdminMixin
from parrain.core.conf import parrain_settings
from parrain.core.exceptions import ParrainError
from parrain.core.models import Program

from . import endpoints
from .http_client import UnsafeTarget, check_target
from .models import (
    InboundDelivery,
    InboundEndpoint,
    OutboundAttempt,
    OutboundEndpoint,
    OutboundMessage,
    Source,
    new_signing_secret,
)
from .outbound import delivery
from .outbound.events import EVENT_TYPES
from .signing import InvalidSecret, secret_key


class ReadOnlyAdmin(admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class NewSecretForm(forms.ModelForm):
    """The signing secret is typed here, never shown back: the page shows it masked.

    On an existing endpoint a new value rotates the secret (the old one stays accepted
    during the grace period). A webhook secret is never the program's identity secret.
    """

    new_secret = forms.CharField(
        label=_("new signing secret"),
        required=False,
        max_length=120,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Type or paste a new secret to replace the current one, which stays accepted "
            "during the grace period. Leave empty to keep it."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "new_secret" in self.fields:
            self.fields["new_secret"].label = _("signing secret")
            self.fields["new_secret"].help_text = self.first_secret_help

    first_secret_help = _("Leave empty and Parrain generates a whsec_ secret.")

    def needs_whsec(self) -> bool:
        return True

    def clean_new_secret(self) -> str:
        value: str = self.cleaned_data.get("new_secret", "")
        program: Program | None = self.cleaned_data.get("program") or getattr(
            self.instance, "program", None
        )
        if (
            value
            and program is not None
            and value
            in (
                program.identity_secret,
                program.identity_secret_previous,
            )
        ):
            raise forms.ValidationError(
                _("This is the program's identity secret: a webhook needs its own secret.")
            )
        if value and self.needs_whsec():
            try:
                secret_key(value)
            except InvalidSecret as exc:
                raise forms.ValidationError(
                    _("A Standard Webhooks secret is whsec_ followed by a base64 key.")
                ) from exc
        return value


class InboundEndpointForm(NewSecretForm):
    saleor_api_url = forms.URLField(
        label=_("Saleor API URL"),
        required=False,
        assume_scheme="https",
        help_text=InboundEndpoint._meta.get_field("saleor_api_url").help_text,
    )

    class Meta:
        model = InboundEndpoint
        fields = ["program", "source", "saleor_api_url", "is_active"]

    first_secret_help = InboundEndpoint._meta.get_field("secret").help_text

    def needs_whsec(self) -> bool:
        return self.cleaned_data.get("source", self.instance.source) == Source.GENERIC

    def clean(self) -> dict[str, Any]:
        """The service's own check (``endpoints.check_inbound``), its refusal on the form."""
        data = super().clean()
        program = data.get("program")
        if program is None or self.errors:
            return data
        trial = InboundEndpoint(
            program=program,
            source=data.get("source") or self.instance.source,
            saleor_api_url=data.get("saleor_api_url") or "",
            secret=data.get("new_secret") or self.instance.secret,
        )
        if not trial.secret and trial.source == Source.GENERIC:
            return data  # the service makes its whsec_ secret
        try:
            endpoints.check_inbound(program, trial)
        except ParrainError as exc:
            # the service's "secret" is this form's "new_secret" (a field name, no secret)
            field = "new_secret" if exc.field == "secret" else exc.field
            self.add_error(field if field in self.fields else None, exc.message)
        return data


class EndpointSecretAdmin(SecretsAdminMixin, admin.ModelAdmin):
    """The endpoint's secret: masked, revealed and rotated by users who may change it.

    Saving, rotating and deleting go through ``endpoints.py`` (checked, audited)."""

    secret_fields = ("secret",)
    secret_displays = ("secret_masked", "new_secret")

    @admin.display(description=_("signing secret"))
    def secret_masked(self, obj: InboundEndpoint | OutboundEndpoint | None) -> str:
        return self.secret_controls(obj, "secret")

    def create_endpoint(self, program: Program, data: dict[str, Any], *, actor: str) -> Any:
        raise NotImplementedError

    def update_endpoint(self, endpoint: Any, changes: dict[str, Any], *, actor: str) -> Any:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = request.user.get_username()
        names = {field.name for field in obj._meta.concrete_fields} - {"secret"}
        data = {name: value for name, value in form.cleaned_data.items() if name in names}
        new_secret = form.cleaned_data.get("new_secret") or ""
        if not change:
            program = data.pop("program")
            if new_secret:
                data["secret"] = new_secret
            saved = self.create_endpoint(program, data, actor=actor)
            if saved.secret and not new_secret:
                self.show_secret_once(request, saved.secret)
        else:
            stored = type(obj).objects.select_related("program").get(pk=obj.pk)
            saved = self.update_endpoint(stored, data, actor=actor)
            if new_secret and new_secret != saved.secret:
                saved = endpoints.rotate(saved, new_secret, actor=actor)
        for field in obj._meta.concrete_fields:  # the admin goes on with ``obj``
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def show_secret_once(self, request: HttpRequest, secret: str) -> None:
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                _(
                    "The signing secret, shown this once: copy it now into the other side. "
                    "Afterwards it is shown masked (Reveal and copy)."
                ),
                secret,
            ),
        )

    def rotate_holder_secret(self, obj: Any, field: str, new_value: str, *, actor: str) -> Any:
        return endpoints.rotate(obj, new_value, actor=actor)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        endpoints.delete(obj, actor=request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for endpoint in queryset.select_related("program"):
            endpoints.delete(endpoint, actor=request.user.get_username())


@admin.register(InboundEndpoint)
class InboundEndpointAdmin(EndpointSecretAdmin):
    form = InboundEndpointForm
    list_display = ["program", "source", "url", "is_active", "created_at"]
    list_filter = ["source", "is_active", "program"]
    readonly_fields = ["url", "secret_masked"]
    fields = [
        "program",
        "source",
        "url",
        "secret_masked",
        "new_secret",
        "saleor_api_url",
        "is_active",
    ]

    def new_secret_value(self, obj: InboundEndpoint, field: str) -> str | None:
        """Parrain makes Standard Webhooks secrets; a platform's secret is typed in."""
        return new_signing_secret() if obj.source == Source.GENERIC else None

    def create_endpoint(self, program: Program, data: dict[str, Any], *, actor: str) -> Any:
        return endpoints.create_inbound(program, data, actor=actor)

    def update_endpoint(self, endpoint: Any, changes: dict[str, Any], *, actor: str) -> Any:
        return endpoints.update_inbound(endpoint, changes, actor=actor)

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


class OutboundEndpointForm(NewSecretForm):
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
        fields = ["program", "url", "description", "event_types", "is_active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_target(url)
        except UnsafeTarget as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


@admin.register(OutboundEndpoint)
class OutboundEndpointAdmin(EndpointSecretAdmin):
    form = OutboundEndpointForm
    list_display = ["url", "program", "is_active", "state", "failing_since"]
    list_filter = ["is_active", "program"]
    readonly_fields = ["secret_masked", "disabled_at", "disabled_reason", "failing_since"]
    fields = [
        "program",
        "url",
        "description",
        "secret_masked",
        "new_secret",
        "event_types",
        "is_active",
        "disabled_at",
        "disabled_reason",
        "failing_since",
    ]
    actions = ["enable_again"]

    def new_secret_value(self, obj: OutboundEndpoint, field: str) -> str:
        return new_signing_secret()

    def create_endpoint(self, program: Program, data: dict[str, Any], *, actor: str) -> Any:
        return endpoints.create_outbound(program, data, actor=actor)

    def update_endpoint(self, endpoint: Any, changes: dict[str, Any], *, actor: str) -> Any:
        return endpoints.update_outbound(endpoint, changes, actor=actor)

    @admin.display(description=_("state"))
    def state(self, obj: OutboundEndpoint) -> str:
        if obj.is_active:
            return str(_("failing")) if obj.failing_since else str(_("working"))
        return format_html("<strong>{}</strong>", obj.disabled_reason or _("disabled"))

    @admin.action(description=_("Enable again (pending messages are sent)"))
    def enable_again(self, request: HttpRequest, queryset: QuerySet[OutboundEndpoint]) -> None:
        actor = request.user.get_username()
        for endpoint in queryset.select_related("program"):
            endpoints.update_outbound(endpoint, {"is_active": True}, actor=actor)
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
