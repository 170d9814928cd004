"""Badges in the Django admin: readable forms over ``services.badge_setup``, the holders,
the recompute progress, manual award and revoke, and the holders-over-time chart.

Names and descriptions are one text input per language of the program (no JSON to type);
conditions are an inline table; the image is a file upload checked and shrunk by the
service. Every save goes through the services, which check it again and audit it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .charts import line_chart
from .exceptions import InvalidInput
from .models import Badge, BadgeCondition, BadgeHolding, BadgeRecompute, Program, RewardRule
from .models.choices import Side
from .services import badge_setup, badges, stats
from .services.contacts import find_contact

CHART_DAYS = 90
TEXT_FIELDS = (("names", "name", 80), ("descriptions", "description", 500))


def _languages(program: Program | None) -> list[str]:
    if program is not None:
        return list(program.languages)
    seen: dict[str, None] = {}
    for languages in Program.objects.values_list("languages", flat=True):
        seen.update(dict.fromkeys(languages or []))
    return list(seen) or ["fr", "en"]


def _invalid(form: forms.BaseForm, error: InvalidInput, mapping: dict[str, str]) -> None:
    """Show a service refusal beside the field it names (or above the form)."""
    name = mapping.get(error.field or "", error.field or "")
    form.add_error(name if name in form.fields else None, error.message)


class BadgeForm(forms.ModelForm):
    image_upload = forms.FileField(
        label=_("image"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 1 MB (no SVG); shown as a 256 px thumbnail."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_image = forms.BooleanField(label=_("remove the image"), required=False)

    class Meta:
        model = Badge
        fields = (
            "program",
            "rank",
            "colour",
            "match",
            "keep_once_earned",
            "reward_rule",
            "is_active",
        )
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        program = self.instance.program if self.instance.program_id else None
        for store, label, length in TEXT_FIELDS:
            texts = getattr(self.instance, store) or {}
            for language in _languages(program):
                self.fields[f"{label}_{language}"] = forms.CharField(
                    label=f"{_(label)} ({language})",
                    required=program is not None and language == program.default_language,
                    max_length=length,
                    initial=texts.get(language, ""),
                    widget=forms.Textarea(attrs={"rows": 2}) if store == "descriptions" else None,
                )
        rules = RewardRule.objects.filter(side=Side.REFERRER)
        if "reward_rule" in self.fields:
            self.fields["reward_rule"].queryset = (
                rules.filter(program=program) if program else rules.select_related("program")
            )
        if program is not None and "program" in self.fields:
            self.fields["program"].disabled = True

    def texts(self, store: str) -> dict[str, str]:
        label = dict((s, lbl) for s, lbl, _n in TEXT_FIELDS)[store]
        prefix = f"{label}_"
        return {
            name.removeprefix(prefix): value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix) and value
        }

    def changes(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data.get(name) for name in self._meta.fields if name != "program"
        }
        return {**data, "names": self.texts("names"), "descriptions": self.texts("descriptions")}

    def clean_image_upload(self) -> Any:
        upload = self.cleaned_data.get("image_upload")
        if upload:
            try:
                badge_setup.thumbnail(upload)
            except InvalidInput as error:
                raise ValidationError(error.message) from None
            upload.seek(0)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        program = data.get("program") or (
            self.instance.program if self.instance.program_id else None
        )
        if program is not None and not self.errors:
            mapping = {f"names.{lang}": f"name_{lang}" for lang in _languages(None)}
            mapping.update(
                {f"descriptions.{lang}": f"description_{lang}" for lang in _languages(None)}
            )
            try:
                badge_setup.check_badge(program, self.changes())
            except InvalidInput as error:
                _invalid(self, error, mapping)
        return data


class ConditionForm(forms.ModelForm):
    class Meta:
        model = BadgeCondition
        fields = (
            "kind",
            "threshold",
            "period_days",
            "action_kind",
            "custom_kind",
            "required_badge",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["threshold"].required = False
        self.fields["threshold"].help_text = _("Leave empty for “holds another badge”.")


class ConditionFormSet(forms.BaseInlineFormSet):
    def specs(self) -> list[dict[str, Any]]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def kept_forms(self) -> list[forms.Form]:
        return [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]

    def clean(self) -> None:
        super().clean()
        badge = self.instance
        if any(form.errors for form in self.forms) or not badge.program_id:
            return
        try:
            badge_setup.check_conditions(badge, self.specs())
        except InvalidInput as error:
            parts = (error.field or "").split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(self.kept_forms()):
                form = self.kept_forms()[int(parts[1])]
                form.add_error(parts[2] if parts[2] in form.fields else None, error.message)
            else:
                raise ValidationError(error.message) from None


class BadgeConditionInline(admin.TabularInline):
    model = BadgeCondition
    fk_name = "badge"
    form = ConditionForm
    formset = ConditionFormSet
    extra = 1
    verbose_name_plural = _("conditions (combined as chosen above)")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "required_badge":
            badge = getattr(request, "_parrain_badge", None)
            qs = Badge.objects.select_related("program")
            kwargs["queryset"] = (
                qs.filter(program=badge.program).exclude(pk=badge.pk) if badge else qs
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DecisionForm(forms.Form):
    email = forms.EmailField(label=_("contact email"))
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("award", _("Give the badge")), ("revoke", _("Take the badge back"))],
        widget=forms.RadioSelect,
        initial="award",
    )
    reason = forms.CharField(label=_("reason"), max_length=255)


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    form = BadgeForm
    inlines = (BadgeConditionInline,)
    list_display = (
        "rank",
        "badge_name",
        "thumbnail",
        "swatch",
        "holders_link",
        "match",
        "keep_once_earned",
        "is_active",
    )
    list_display_links = ("badge_name",)
    list_filter = ("program", "is_active")
    readonly_fields = ("current_image", "recompute_progress", "holders_link")
    change_list_template = "admin/parrain/badge/change_list.html"
    change_form_template = "admin/parrain/badge/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Badge]:
        live = Count("holdings", filter=Q(holdings__lost_at__isnull=True))
        return super().get_queryset(request).select_related("program").annotate(live_holders=live)

    def get_fieldsets(self, request: HttpRequest, obj: Badge | None = None) -> Any:
        form = self._get_form_for_get_fields(request, obj)
        texts = [n for n in form(instance=obj).fields if n.startswith(("name_", "description_"))]
        return [
            (None, {"fields": ["program", "rank", *texts, "colour", "is_active"]}),
            (
                _("Image"),
                {"fields": (["current_image"] if obj else []) + ["image_upload", "remove_image"]},
            ),
            (
                _("Conditions and reward"),
                {"fields": ["match", "keep_once_earned", "reward_rule"]},
            ),
            *([(_("Holders"), {"fields": ["holders_link", "recompute_progress"]})] if obj else []),
        ]

    def get_form(self, request: HttpRequest, obj: Badge | None = None, **kwargs: Any) -> Any:
        request._parrain_badge = obj  # type: ignore[attr-defined]
        kwargs["fields"] = None
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Badge | None = None) -> Any:
        return [f for _n, opts in self.get_fieldsets(request, obj) for f in opts["fields"]]

    @admin.display(description=_("name"), ordering="rank")
    def badge_name(self, obj: Badge) -> str:
        return obj.name()

    @admin.display(description=_("image"))
    def thumbnail(self, obj: Badge) -> SafeString | str:
        if not obj.image:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="32" height="32" loading="lazy" '
            'style="object-fit:contain">',
            obj.image.url,
        )

    @admin.display(description=_("image"))
    def current_image(self, obj: Badge) -> SafeString | str:
        if not obj.image:
            return _("no image yet")
        return format_html(
            '<img src="{}" alt="" width="128" style="object-fit:contain">', obj.image.url
        )

    @admin.display(description=_("colour"))
    def swatch(self, obj: Badge) -> SafeString:
        return format_html(
            '<span style="display:inline-block;width:1.2em;height:1.2em;border-radius:50%;'
            'background:{};vertical-align:middle" title="{}"></span>',
            obj.colour,
            obj.colour,
        )

    @admin.display(description=_("holders"))
    def holders_link(self, obj: Badge) -> SafeString:
        count = getattr(obj, "live_holders", None)
        if count is None:
            count = obj.holdings.filter(lost_at__isnull=True).count()
        url = reverse("admin:parrain_badgeholding_changelist")
        return format_html(
            '<a href="{}?badge__id__exact={}&amp;held=yes">{}</a>', url, obj.pk, count
        )

    @admin.display(description=_("re-evaluation of the contacts"))
    def recompute_progress(self, obj: Badge) -> SafeString | str:
        latest = (
            BadgeRecompute.objects.filter(program_id=obj.program_id)
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is None:
            return _("none yet")
        return format_html(
            '<progress max="100" value="{}">{} %</progress> {} — {} / {} ({} %)<br>'
            '<span class="help">{}</span>',
            latest.percent,
            latest.percent,
            latest.get_state_display(),
            latest.done,
            latest.total,
            latest.percent,
            latest.reason,
        )

    # Saving goes through the services

    def save_model(self, request: HttpRequest, obj: Badge, form: BadgeForm, change: bool) -> None:
        actor = request.user.get_username()
        changes = form.changes()
        if change:
            badge_setup.update_badge(obj, actor=actor, **changes)
        else:
            created = badge_setup.create_badge(obj.program, actor=actor, **changes)
            obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(
        self, request: HttpRequest, form: BadgeForm, formsets: Any, change: bool
    ) -> None:
        actor, badge = request.user.get_username(), form.instance
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if isinstance(formset, ConditionFormSet) and formset.has_changed():
                badge_setup.set_conditions(badge, formset.specs(), actor=actor)
        if form.cleaned_data.get("image_upload"):
            badge_setup.set_image(badge, form.cleaned_data["image_upload"], actor=actor)
        elif form.cleaned_data.get("remove_image") and badge.image:
            badge_setup.set_image(badge, None, actor=actor)

    def delete_model(self, request: HttpRequest, obj: Badge) -> None:
        badge_setup.delete_badge(obj, actor=request.user.get_username())

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        try:
            return super().delete_view(request, object_id, extra_context)
        except InvalidInput as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:parrain_badge_change", args=[object_id]))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Badge]) -> None:
        for badge in queryset:
            try:
                badge_setup.delete_badge(badge, actor=request.user.get_username())
            except InvalidInput as error:
                self.message_user(request, error.message, messages.ERROR)

    # The chart and the manual decisions

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        end = timezone.localdate()
        start = end - timedelta(days=CHART_DAYS - 1)
        charts = []
        for program in Program.objects.filter(badges__isnull=False).distinct().order_by("pk")[:5]:
            figure = stats.badge_holders_over_time(program, start, end)
            lines = [(line.name, line.counts) for line in figure.badges]
            colours = [line.colour for line in figure.badges]
            title = _("Holders per badge over time — %(program)s") % {"program": program}
            charts.append(line_chart(str(title), figure.days, lines, colours))
        return super().changelist_view(request, {**(extra_context or {}), "badge_charts": charts})

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.decision_view)
        return [
            path("<path:object_id>/decide/", view, name="parrain_badge_decide"),
            *super().get_urls(),
        ]

    def decision_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        badge = self.get_object(request, unquote(object_id))
        if badge is None:
            raise Http404
        if not self.has_change_permission(request, badge):
            raise PermissionDenied
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and self._decide(request, badge, form):
            return HttpResponseRedirect(reverse("admin:parrain_badge_change", args=[badge.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": badge,
            "title": _("Give or take back %(badge)s by hand") % {"badge": badge.name()},
            "form": form,
        }
        return TemplateResponse(request, "admin/parrain/badge/decide.html", context)

    def _decide(self, request: HttpRequest, badge: Badge, form: DecisionForm) -> bool:
        data = form.cleaned_data
        contact = find_contact(badge.program, data["email"])
        if contact is None or contact.is_erased:
            form.add_error("email", _("No contact with this email in this program."))
            return False
        actor, reason = request.user.get_username(), data["reason"]
        try:
            if data["decision"] == "award":
                _holding, changed = badges.award(badge, contact, actor=actor, reason=reason)
                done = _("%(contact)s now holds %(badge)s.")
                already = _("%(contact)s already held %(badge)s.")
            else:
                changed = badges.revoke(badge, contact, actor=actor, reason=reason) is not None
                done = _("%(contact)s no longer holds %(badge)s.")
                already = _("%(contact)s did not hold %(badge)s.")
        except InvalidInput as error:
            form.add_error("reason" if error.field == "reason" else None, error.message)
            return False
        names = {"contact": contact.email, "badge": badge.name()}
        self.message_user(request, (done if changed else already) % names, messages.SUCCESS)
        return True


class HeldFilter(admin.SimpleListFilter):
    title = _("held")
    parameter_name = "held"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("held now")), ("no", _("lost"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(lost_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(lost_at__isnull=False)
        return queryset


@admin.register(BadgeHolding)
class BadgeHoldingAdmin(admin.ModelAdmin):
    """Who held which badge when: written by the services only (award, revoke, evaluation)."""

    list_display = ("contact", "badge", "awarded_at", "lost_at", "awarded_by", "lost_by", "reason")
    list_filter = (HeldFilter, "badge", "badge__program")
    list_select_related = ("contact", "badge__program")
    search_fields = ("contact__email",)
    date_hierarchy = "awarded_at"
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BadgeRecompute)
class BadgeRecomputeAdmin(BadgeHoldingAdmin):
    list_display = (
        "program",
        "state",
        "done",
        "total",
        "percent",
        "awarded",
        "lost",
        "created_at",
        "finished_at",
        "reason",
    )
    list_filter = ("state", "program")
    list_select_related = ("program",)
    search_fields = ()
    date_hierarchy = "created_at"

    @admin.display(description=_("progress (%)"))
    def percent(self, obj: BadgeRecompute) -> int:
        return obj.percent
