"""Account keys (``mk_…``) in the Django admin: create one (its clear value on a page of
its own, shown once), list them with their last use, revoke them. Creation and revocation
go through ``services.keys``, which logs who did it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import AccountKey
from .services import keys


class AccountKeyForm(forms.ModelForm):
    class Meta:
        model = AccountKey
        fields = ("label",)


@admin.register(AccountKey)
class AccountKeyAdmin(admin.ModelAdmin):
    form = AccountKeyForm
    list_display = (
        "prefix",
        "label",
        "scope",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "label", "created_by")
    readonly_fields = ("prefix", "scope", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def get_fields(self, request: HttpRequest, obj: AccountKey | None = None) -> Any:
        return ("label",) if obj is None else ("label", *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: AccountKey | None = None) -> Any:
        return () if obj is None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the list keeps who had which key

    def save_model(self, request: HttpRequest, obj: AccountKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, clear = keys.create_account_key(obj.label, actor=request.user.get_username())
        for field in AccountKey._meta.concrete_fields:
            setattr(obj, field.attname, getattr(key, field.attname))
        obj._state.adding = False
        request._parrain_clear_key = clear  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: AccountKey, *args: Any) -> HttpResponse:
        """The clear key on a page of its own (not a message that lingers in the session)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Account key created"),
            "key": obj,
            "clear_key": request._parrain_clear_key,  # type: ignore[attr-defined]
        }
        response = TemplateResponse(request, "admin/parrain/accountkey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[AccountKey]) -> None:
        active = list(queryset.filter(revoked_at=None))
        for key in active:
            keys.revoke_account_key(key, actor=request.user.get_username())
        messages.success(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", len(active))
            % {"count": len(active)},
        )
