"""The shop owner's back office: programs, the review queue, and read-only history.

State changes go through the services (``services.review`` for the review queue); the admin
never edits a status, an amount or the audit log directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_labels import ActionFilter, CodeLabelsMixin, ReasonFilter, money_column
from .admin_messages import contact_history
from .admin_privacy import ContactPrivacyAdminMixin
from .admin_secrets import SecretsAdminMixin
from .admin_setup import ProgramSetupAdminMixin
from .dashboard import DashboardRangeForm, dashboard_context
from .erasure import PersonalData, erasing_together
from .exceptions import InvalidInput
from .forms.program import OFFER_SIDES, ProgramForm, RewardRuleForm
from .fulfilment.pool import import_pool
from .models import (
    ApiKey,
    AuditEvent,
    Contact,
    HeldInvitation,
    Invitation,
    LoyaltyEntry,
    LoyaltyKind,
    Order,
    PoolCode,
    Program,
    Referral,
    Refund,
    RefusedOrigin,
    Reward,
    RewardRule,
    ShareClick,
)
from .models.choices import ReferralStatus, Side
from .rotation import new_identity_secret
from .services import program_setup
from .services.confirmation import budget_reached_today
from .services.contacts import find_contact
from .services.erasure import erase_contact, kept_history
from .services.loyalty import MAX_POINTS, balance, record_action
from .services.review import approve_referral, reject_referral
from .services.secrets import rotate_identity_secret
from .services.widget_errors import refused_lately, refused_origins_message

POOL_CSV_MAX_BYTES = 5 * 1024 * 1024


class BigTableAdmin(admin.ModelAdmin):
    """Lists that grow with the shop: short pages and no full-table count."""

    list_per_page = 50
    show_full_result_count = False


class HistoryAdmin(BigTableAdmin):
    """Records written by the services only: viewable, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# Programs


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    fields = ("prefix", "label", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    verbose_name_plural = _("secret API keys (create one with the action on the program list)")


class RefusedOriginInline(ReadOnlyInline):
    """The program's recent widget errors: pages whose origin the API refused."""

    model = RefusedOrigin
    fields = ("origin", "count", "first_seen", "last_seen")
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RefusedOrigin]:
        return super().get_queryset(request).order_by("-last_seen", "-pk")


def offer_fieldsets() -> list[tuple[Any, dict[str, Any]]]:
    """The referrer reward and the friend's welcome offer, one readable block each."""
    return [
        (
            heading,
            {
                "fields": (
                    (f"{prefix}_kind", f"{prefix}_value"),
                    (f"{prefix}_minimum_order_amount", f"{prefix}_validity_days"),
                    f"{prefix}_product_ref",
                    f"{prefix}_labels",
                ),
                "classes": ("parrain-offer",),
            },
        )
        for _side, prefix, heading in OFFER_SIDES
    ]


@admin.register(Program)
class ProgramAdmin(ProgramSetupAdminMixin, SecretsAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "currency",
        "is_active",
        "validation_delay_days",
        "created_at",
        "dashboard_link",
    )
    list_filter = ("is_active", "currency")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = (
        "public_key",
        "identity_secret_masked",
        "created_at",
        "scenario_links",
    )
    secret_fields = ("identity_secret",)
    secret_displays = ("identity_secret_masked",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # The core's program editor (no JSON to type); the two offers are blocks of its fields.
    form = ProgramForm
    inlines = (ApiKeyInline, RefusedOriginInline)
    actions = ("create_secret_api_key", "rotate_identity_secrets")
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active", "owner_email", "created_at")}),
        (
            _("Currency and languages"),
            {"fields": ("currency", "time_zone", "languages", "default_language")},
        ),
        (
            _("Keys"),
            {
                "fields": ("public_key", "identity_secret_masked"),
                "description": _(
                    "The public key goes in the widget. The identity secret lets the shop's "
                    "server sign identity tokens for its signed-in customers; it signs no "
                    "webhook (each webhook endpoint has its own secret). Secret API keys are "
                    "listed at the bottom of this page."
                ),
            },
        ),
        (_("Landing page and widget"), {"fields": ("landing_url", "allowed_origins")}),
        (
            _("Widget"),
            {
                "fields": (
                    "share_channels",
                    "brand_colour",
                    "consent_texts",
                    "rules_url",
                    "legal_url",
                    "privacy_mode",
                ),
                "description": _(
                    "What the referrer and referee widgets show. Privacy mode emails the "
                    "welcome code instead of showing it (see docs/widget.md)."
                ),
            },
        ),
        *offer_fieldsets(),
        (
            _("Email invitations from the widget"),
            {
                "fields": ("anonymous_invitations", "anonymous_invitation_budget"),
                "description": _(
                    "Signed-in customers (identity token) always invite by email. A visitor "
                    "who only typed their address in the widget may too when this is on, once "
                    "they confirm their address through the link we email them."
                ),
            },
        ),
        (_("Delays"), {"fields": ("attribution_window_days", "validation_delay_days")}),
        (
            _("Scenario and messages"),
            {
                "fields": ("scenario_links",),
                "description": _(
                    "The emails and SMS sent automatically, when, to whom, and how often at "
                    "most; and the text of every message."
                ),
            },
        ),
        (
            _("Loyalty points"),
            {
                "fields": ("loyalty_points_per_unit",),
                "description": _(
                    "Every recorded order earns its customer these points per currency unit; "
                    "a refund takes them back in proportion. See docs/gamification.md."
                ),
            },
        ),
        (
            _("Fraud"),
            {
                "fields": (
                    "fraud_self_referral",
                    "fraud_existing_customer",
                    "fraud_already_referred",
                    "fraud_disposable_email",
                    "daily_invitation_cap",
                    "monthly_reward_cap",
                )
            },
        ),
        (
            _("Privacy"),
            {
                "fields": ("retention_months",),  # the form says what it would erase now
                "description": _(
                    "Contacts with no activity (invitation, referral, order, reward, points, "
                    "consent, message, share-link click) for this many months are erased every "
                    "night, as if they had asked to be (GDPR). Empty: never."
                ),
            },
        ),
    )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        program = self.get_object(request, object_id)
        if program is not None and request.method == "GET" and budget_reached_today(program):
            messages.warning(
                request,
                _(
                    "Today's budget of %(budget)s invitation emails from unconfirmed referrers "
                    "is reached: further ones wait until tomorrow. Raise the budget, or turn "
                    "these invitations off if this is not expected."
                )
                % {"budget": program.anonymous_invitation_budget},
            )
        if program is not None and request.method == "GET":
            self._warn_refused_origins(request, program)
        return super().change_view(request, object_id, form_url, extra_context)

    def _warn_refused_origins(self, request: HttpRequest, program: Program) -> None:
        origins = refused_lately(program)
        if origins:
            messages.warning(request, refused_origins_message(origins))

    def save_model(self, request: HttpRequest, obj: Program, form: Any, change: bool) -> None:
        """Through ``services.program_setup`` (validated, audited with the user)."""
        saved = form.save(actor=request.user.get_username())
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        form.instance = Program.objects.get(pk=form.instance.pk)
        for formset in formsets:
            formset.instance = form.instance
        super().save_related(request, form, formsets, change)

    @admin.display(description=_("pages"))
    def scenario_links(self, obj: Program | None) -> str:
        if obj is None or not obj.pk:
            return str(_("Save the program first."))
        links = (
            ("admin:parrain_scenariostep_scenario", _("Scenario")),
            ("admin:parrain_scenariostep_settings", _("Pressure settings")),
            ("admin:parrain_messagetemplate_program", _("Messages")),
        )
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            ((reverse(name, args=[obj.pk]), label) for name, label in links),
        )

    @admin.display(description=_("identity token secret"))
    def identity_secret_masked(self, obj: Program | None) -> str:
        return self.secret_controls(obj, "identity_secret")

    def secret_program(self, obj: Program) -> Program:
        return obj

    def new_secret_value(self, obj: Program, field: str) -> str:
        return new_identity_secret()

    @admin.action(
        description=_("Rotate the identity secret (the old one works during the grace period)"),
        permissions=["change"],
    )
    def rotate_identity_secrets(self, request: HttpRequest, queryset: QuerySet[Program]) -> None:
        for program in queryset:
            rotate_identity_secret(program, actor=request.user.get_username())
        messages.success(
            request,
            ngettext(
                "Identity secret rotated for %(count)d program.",
                "Identity secret rotated for %(count)d programs.",
                len(queryset),
            )
            % {"count": len(queryset)},
        )

    @admin.action(description=_("Create a secret API key"), permissions=["change"])
    def create_secret_api_key(self, request: HttpRequest, queryset: QuerySet[Program]) -> None:
        label = _("created in the admin by %(user)s") % {"user": request.user.get_username()}
        for program in queryset:
            key, clear = program.create_api_key(str(label))
            messages.success(
                request,
                _(
                    "Secret API key for %(program)s: %(key)s — copy it now, it will not be "
                    "shown again."
                )
                % {"program": program, "key": clear},
            )

    @admin.display(description=_("Dashboard"))
    def dashboard_link(self, program: Program) -> str:
        url = reverse("admin:parrain_dashboard")
        return format_html('<a href="{}?program={}">{}</a>', url, program.slug, _("Figures"))

    # The referral dashboard (core/dashboard.py, the same component as Oscar's and Wagtail's)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.dashboard_view)
        return [path("dashboard/", view, name="parrain_dashboard"), *super().get_urls()]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        programs = list(Program.objects.order_by("name"))
        slug = request.GET.get("program", "")
        program = next((p for p in programs if p.slug == slug), programs[0] if programs else None)
        form = DashboardRangeForm(request.GET or {}, program=program)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Referral dashboard"),
            "programs": programs,
            "program": program,
            "form": form,
        }
        if program is not None and form.is_valid():
            data = form.cleaned_data
            context.update(dashboard_context(program, data["start"], data["end"]))
        return TemplateResponse(request, "admin/parrain/program/dashboard.html", context)


@admin.register(RewardRule)
class RewardRuleAdmin(admin.ModelAdmin):
    list_display = ("program", "side", "kind", "value_shown", "minimum_shown", "is_active")
    value_shown = money_column("value", "program__currency", _("value"), order="value")
    minimum_shown = money_column(
        "minimum_order_amount",
        "program__currency",
        _("minimum order"),
        order="minimum_order_amount",
    )
    list_filter = ("side", "kind", "is_active", "program")
    list_select_related = ("program",)
    search_fields = ("program__name", "product_ref")
    raw_id_fields = ("program",)
    form = RewardRuleForm

    def save_model(self, request: HttpRequest, obj: RewardRule, form: Any, change: bool) -> None:
        """Through ``services.program_setup`` (validated, audited with the user)."""
        actor = request.user.get_username()
        values = {name: form.cleaned_data[name] for name in form.changed_data if name != "program"}
        if change:
            stored = RewardRule.objects.select_related("program").get(pk=obj.pk)
            program_setup.update_rule(stored, values, actor=actor)
        else:
            values = {name: getattr(obj, name) for name in form.cleaned_data if name != "program"}
            obj.pk = program_setup.create_rule(obj.program, values, actor=actor).pk


@admin.register(ApiKey)
class ApiKeyAdmin(BigTableAdmin):
    list_display = ("prefix", "label", "program", "created_at", "last_used_at", "revoked_at")
    list_filter = ("program", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("program",)
    search_fields = ("prefix", "label")
    fields = ("program", "prefix", "label", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("program", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        messages.success(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count},
        )


# People and referrals


@admin.register(Contact)
class ContactAdmin(ContactPrivacyAdminMixin, BigTableAdmin):
    list_display = (
        "email",
        "first_name",
        "last_name",
        "referrer_code",
        "is_customer",
        "consent_recontact",
        "unsubscribed_at",
        "program",
        "created_at",
    )
    list_filter = (
        "is_customer",
        ("email_verified_at", admin.EmptyFieldListFilter),
        "consent_recontact",
        ("unsubscribed_at", admin.EmptyFieldListFilter),
        ("erased_at", admin.EmptyFieldListFilter),
        "program",
    )
    list_select_related = ("program",)
    search_fields = ("email", "first_name", "last_name", "external_id", "referrer_code")
    date_hierarchy = "created_at"
    readonly_fields = (
        "program",
        "referrer_code",
        "share_name",
        "email_verified_at",
        "is_customer",
        "first_order_at",
        "consent_recontact",
        "consent_at",
        "consent_source",
        "unsubscribed_at",
        "erased_at",
        "created_at",
        "loyalty_balance",
        "message_history",
    )
    actions = ("erase_selected",)

    @admin.display(description=_("message history"))
    def message_history(self, obj: Contact | None) -> str:
        return contact_history(obj)

    @admin.display(description=_("loyalty points balance"))
    def loyalty_balance(self, obj: Contact | None) -> int | str:
        return balance(obj) if obj is not None and obj.pk else "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """An erased contact is a tombstone: nothing to edit."""
        if isinstance(obj, Contact) and obj.is_erased:
            return False
        return super().has_change_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a delete is an erasure: erase_selected
        return actions

    @csrf_protect_m
    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """Deleting a contact erases the person (``services.erasure``), after confirmation."""
        contact = self.get_object(request, unquote(object_id))
        if not self.has_delete_permission(request, contact):
            raise PermissionDenied
        if contact is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method == "POST" and request.POST.get("post") == "yes":
            self._erase(request, [contact])
            return HttpResponseRedirect(reverse("admin:parrain_contact_changelist"))
        return self._confirm_erasure(request, [contact], bulk=False)

    @admin.action(description=_("Erase selected contacts (GDPR)"), permissions=["delete"])
    def erase_selected(
        self, request: HttpRequest, queryset: QuerySet[Contact]
    ) -> HttpResponse | None:
        contacts = list(queryset.order_by("pk"))
        if request.POST.get("post") == "yes":
            self._erase(request, contacts)
            return None
        return self._confirm_erasure(request, contacts, bulk=True)

    def _erase(self, request: HttpRequest, contacts: list[Contact]) -> None:
        actor = request.user.get_username()
        with erasing_together([PersonalData.of(contact) for contact in contacts]):
            erased = [contact for contact in contacts if erase_contact(contact, actor=actor)]
        for contact in erased:
            contact.refresh_from_db()
            self.log_change(request, contact, str(_("Erased (GDPR)")))
        if erased:
            messages.success(
                request,
                ngettext("%(count)d contact erased.", "%(count)d contacts erased.", len(erased))
                % {"count": len(erased)},
            )
        if len(erased) < len(contacts):
            skipped = len(contacts) - len(erased)
            messages.info(
                request,
                ngettext(
                    "%(count)d contact was already erased.",
                    "%(count)d contacts were already erased.",
                    skipped,
                )
                % {"count": skipped},
            )

    def _confirm_erasure(
        self, request: HttpRequest, contacts: list[Contact], *, bulk: bool
    ) -> HttpResponse:
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Erase personal data"),
            "rows": [(contact, kept_history(contact)) for contact in contacts],
            "bulk": bulk,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/parrain/contact/erase_confirmation.html", context)


@admin.register(Invitation)
class InvitationAdmin(HistoryAdmin):
    list_display = ("issued_at", "referrer", "referee", "channel", "program")
    list_filter = ("channel", "program")
    list_select_related = ("program", "referrer", "referee")
    search_fields = ("referrer__email", "referee__email")
    date_hierarchy = "issued_at"


@admin.register(HeldInvitation)
class HeldInvitationAdmin(HistoryAdmin):
    """Requests from unconfirmed referrers: they leave once the referrer confirms."""

    list_display = ("requested_at", "referrer", "email", "program")
    list_filter = ("program",)
    list_select_related = ("program", "referrer")
    search_fields = ("referrer__email", "email")
    date_hierarchy = "requested_at"


@admin.register(ShareClick)
class ShareClickAdmin(HistoryAdmin):
    list_display = ("clicked_at", "referrer", "program")
    list_filter = ("program",)
    list_select_related = ("program", "referrer")
    search_fields = ("referrer__email", "referrer__referrer_code")
    date_hierarchy = "clicked_at"


class AuditInline(CodeLabelsMixin, ReadOnlyInline):
    model = AuditEvent
    fk_name = "referral"
    fields = ("at", "action_label", "reason_label", "actor", "message")
    readonly_fields = fields
    ordering = ("at", "pk")
    show_change_link = True


class RewardInline(ReadOnlyInline):
    model = Reward
    fields = ("side", "kind", "value_shown", "code", "status", "issued_at")
    value_shown = money_column("value", "currency", _("value"))
    readonly_fields = fields


ReviewCall = Callable[..., Referral]


@admin.register(Referral)
class ReferralAdmin(CodeLabelsMixin, BigTableAdmin):
    list_display = (
        "id",
        "status",
        "referrer",
        "referee",
        "invited_at",
        "converted_at",
        "validated_at",
        "review_reason_label",
        "cancel_reason_label",
    )
    list_filter = (
        "status",
        "program",
        ReasonFilter.on("review_reason", _("review reason")),
        ReasonFilter.on("cancel_reason", _("cancellation reason")),
    )
    list_select_related = ("program", "referrer", "referee")
    search_fields = ("referrer__email", "referrer__referrer_code", "referee__email")
    date_hierarchy = "invited_at"
    inlines = (RewardInline, AuditInline)
    actions = ("approve", "reject")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [field.name for field in Referral._meta.fields if field.name != "id"] + [
            "review_reason_label",
            "cancel_reason_label",
        ]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        """The reasons in words, in place of their stored codes."""
        shown = {"review_reason": "review_reason_label", "cancel_reason": "cancel_reason_label"}
        names = [f.name for f in Referral._meta.fields if f.name != "id"]
        return [shown.get(name, name) for name in names]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description=_("Approve selected referrals"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        done, skipped = self._review(request, queryset, approve_referral)
        text = ngettext("%(count)d referral approved.", "%(count)d referrals approved.", done)
        self._report(request, text % {"count": done}, skipped)

    @admin.action(description=_("Reject selected referrals"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Referral]) -> None:
        done, skipped = self._review(request, queryset, reject_referral)
        text = ngettext("%(count)d referral rejected.", "%(count)d referrals rejected.", done)
        self._report(request, text % {"count": done}, skipped)

    @staticmethod
    def _review(
        request: HttpRequest, queryset: QuerySet[Referral], call: ReviewCall
    ) -> tuple[int, int]:
        held = list(queryset.filter(status=ReferralStatus.REVIEW).values_list("pk", flat=True))
        for referral_id in held:
            call(referral_id, actor=request.user.get_username())
        return len(held), queryset.count() - len(held)

    def _report(self, request: HttpRequest, text: str, skipped: int) -> None:
        messages.success(request, text)
        if skipped:
            note = ngettext(
                "%(count)d referral skipped: it was not waiting for review.",
                "%(count)d referrals skipped: they were not waiting for review.",
                skipped,
            )
            messages.warning(request, note % {"count": skipped})


# Orders and rewards


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("external_id", "amount_shown", "refunded_at")
    amount_shown = money_column("amount", "order__currency", _("amount"))
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(HistoryAdmin):
    list_display = (
        "external_id",
        "placed_at",
        "amount_shown",
        "contact",
        "attribution_shown",
        "refunded_shown",
        "refunded_at",
        "program",
    )
    readonly_fields = ("attribution_shown",)
    amount_shown = money_column("amount", "currency", _("amount"), order="amount")
    refunded_shown = money_column(
        "refunded_amount", "currency", _("refunded amount"), order="refunded_amount"
    )
    list_filter = ("program", "currency", ("refunded_at", admin.EmptyFieldListFilter))
    list_select_related = ("program", "contact", "referral__referrer", "referral__referee")
    # A pending order has no contact yet: its address is in its intake (``accept_order``).
    search_fields = (
        "external_id",
        "contact__email",
        "intake__email",
        "welcome_code",
        "referral_code",
    )
    date_hierarchy = "placed_at"
    inlines = (RefundInline,)

    @admin.display(description=_("referral"), ordering="referral")
    def attribution_shown(self, order: Order) -> Any:
        """The referral it converted, or that an order accepted in the background
        (``Prefer: respond-async``) waits for its worker."""
        if order.is_pending:
            return _("Attribution pending")
        return order.referral if order.referral_id else self.get_empty_value_display()


@admin.register(Refund)
class RefundAdmin(HistoryAdmin):
    list_display = ("order", "external_id", "amount_shown", "refunded_at")
    amount_shown = money_column("amount", "order__currency", _("amount"), order="amount")
    list_select_related = ("order",)
    search_fields = ("external_id", "order__external_id")
    date_hierarchy = "refunded_at"


@admin.register(Reward)
class RewardAdmin(HistoryAdmin):
    list_display = (
        "code",
        "side",
        "status",
        "kind",
        "value_shown",
        "recipient",
        "issued_at",
        "expires_at",
    )
    list_filter = ("side", "status", "kind", "program")
    list_select_related = ("recipient",)
    value_shown = money_column("value", "currency", _("value"), order="value")
    search_fields = ("code", "recipient__email")
    date_hierarchy = "issued_at"


class PoolImportForm(forms.Form):
    program = forms.ModelChoiceField(label=_("program"), queryset=Program.objects.all())
    side = forms.ChoiceField(label=_("side"), choices=Side.choices)
    file = forms.FileField(
        label=_("CSV file"), help_text=_("One code per line, in the first column.")
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > POOL_CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large (5 MB at most)."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from error


@admin.register(PoolCode)
class PoolCodeAdmin(HistoryAdmin):
    list_display = ("code", "side", "program", "imported_at", "used_at")
    list_filter = ("program", "side", ("used_at", admin.EmptyFieldListFilter))
    list_select_related = ("program",)
    search_fields = ("code",)
    date_hierarchy = "imported_at"
    change_list_template = "admin/parrain/poolcode/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="parrain_poolcode_import"), *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("parrain.add_poolcode"):
            raise PermissionDenied
        form = PoolImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            added, existing = import_pool(data["program"], data["side"], data["file"])
            messages.success(
                request,
                ngettext(
                    "%(added)d code imported; already there: %(existing)d.",
                    "%(added)d codes imported; already there: %(existing)d.",
                    added,
                )
                % {"added": added, "existing": existing},
            )
            return HttpResponseRedirect(reverse("admin:parrain_poolcode_changelist"))
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import codes from a CSV file"),
            "form": form,
        }
        return TemplateResponse(request, "admin/parrain/poolcode/import.html", context)


# The loyalty ledger


class LoyaltyAdjustmentForm(forms.Form):
    program = forms.ModelChoiceField(label=_("program"), queryset=Program.objects.all())
    email = forms.EmailField(label=_("contact email"))
    points = forms.IntegerField(
        label=_("points"),
        min_value=-MAX_POINTS,
        max_value=MAX_POINTS,
        help_text=_("Positive to give points, negative to take them away."),
    )
    reason = forms.CharField(label=_("reason"), max_length=255)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("program") and data.get("email"):
            contact = find_contact(data["program"], data["email"])
            if contact is None or contact.is_erased:
                self.add_error("email", _("No contact with this email in this program."))
            data["contact"] = contact
        return data


@admin.register(LoyaltyEntry)
class LoyaltyEntryAdmin(HistoryAdmin):
    """The ledger is append-only: lines are only viewed; an adjustment is a new line."""

    list_display = ("recorded_at", "contact", "kind", "custom_kind", "points", "source", "reason")
    list_filter = ("kind", "source", "program")
    list_select_related = ("contact",)
    search_fields = ("contact__email", "external_id")
    date_hierarchy = "recorded_at"
    change_list_template = "admin/parrain/loyaltyentry/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.adjust_view)
        return [path("adjust/", view, name="parrain_loyaltyentry_adjust"), *super().get_urls()]

    def adjust_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("parrain.add_loyaltyentry"):
            raise PermissionDenied
        form = LoyaltyAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and self._adjust(request, form):
            return HttpResponseRedirect(reverse("admin:parrain_loyaltyentry_changelist"))
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Adjust a contact's loyalty points"),
            "form": form,
        }
        return TemplateResponse(request, "admin/parrain/loyaltyentry/adjust.html", context)

    def _adjust(self, request: HttpRequest, form: LoyaltyAdjustmentForm) -> bool:
        data = form.cleaned_data
        try:
            record_action(
                data["program"],
                data["contact"],
                LoyaltyKind.ADJUSTMENT,
                data["points"],
                source="admin",
                reason=data["reason"],
                actor=request.user.get_username(),
            )
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return False
        messages.success(
            request,
            _("%(contact)s now has %(balance)s points.")
            % {"contact": data["contact"], "balance": balance(data["contact"])},
        )
        return True


# The audit log


@admin.register(AuditEvent)
class AuditEventAdmin(CodeLabelsMixin, HistoryAdmin):
    list_display = ("at", "action_label", "reason_label", "actor", "referral", "contact", "order")
    list_filter = (ActionFilter, ReasonFilter.on("reason", _("reason")), "program")
    fields = (
        "program",
        "at",
        "action_label",
        "reason_label",
        "message",
        "actor",
        "referral",
        "contact",
        "order",
        "data",
    )
    readonly_fields = fields
    list_select_related = (
        "program",
        "contact",
        "order",
        "referral__referrer",
        "referral__referee",
    )
    search_fields = ("message", "actor", "contact__email", "order__external_id")
    date_hierarchy = "at"


# Badges (their own module: forms over the setup service, holders, chart), boosts and contests
# (the core BoostForm / ContestForm, open and draw behind a confirmation, winners)
# Contact imports (issue 14): admin_imports, the upload → mapping → dry run → confirm flow;
# admin_schedules, regular imports (the core ImportScheduleForm, "Run now")
from . import (  # noqa: E402, F401
    admin_account_keys,
    admin_badges,
    admin_boosts,
    admin_contests,
    admin_imports,
    admin_schedules,
)
