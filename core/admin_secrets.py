"""Secrets in the back offices: masked, revealed and rotated only by users who may change
their holder, by a POST with a CSRF token, each time through ``services.secrets`` (audited).

:func:`secret_controls` renders the masked value with its "Reveal and copy" and "Rotate"
buttons for any admin (the Django admin here, the Wagtail viewset in its plugin);
:class:`SecretsAdminMixin` gives a Django ``ModelAdmin`` the two POST views and hides the
secrets from users who may only view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .models import Program
from .rotation import grace_ends_at, in_force, masked
from .services.secrets import reveal_secret, rotate_secret

SCRIPT = "parrain/admin/secrets.js"


def secret_controls(
    holder: Model, field: str, *, reveal_url: str, rotate_url: str = "", csrf_token: str = ""
) -> SafeString:
    """The masked secret, a reveal-and-copy button and, when given, a rotate button."""
    value = getattr(holder, field)
    if not value:
        return format_html("<span>{}</span>", _("not set"))
    buttons = [(reveal_url, "reveal", _("Reveal and copy"))]
    if rotate_url:
        buttons.append((rotate_url, "rotate", _("Rotate")))
    return format_html(
        '<span class="parrain-secret" data-parrain-secret data-csrf="{}" data-copied="{}" '
        'data-confirm="{}"><code data-parrain-secret-value>{}</code> {}{}</span>'
        '<script src="{}" defer></script>',
        csrf_token,
        _("Copied"),
        _(
            "Rotate this secret? A new one is created; the current one stays accepted "
            "until the grace period ends."
        ),
        masked(value),
        format_html_join(
            " ",
            '<button type="button" class="button" data-parrain-{}="{}">{}</button>',
            ((kind, url, label) for url, kind, label in buttons),
        ),
        _grace_note(holder, field),
        static(SCRIPT),
    )


def _grace_note(holder: Model, field: str) -> SafeString | str:
    previous = getattr(holder, f"{field}_previous", "")
    rotated_at = getattr(holder, f"{field}_rotated_at", None)
    if len(in_force(getattr(holder, field), previous, rotated_at)) < 2:
        return ""
    until = _when(grace_ends_at(rotated_at))
    return format_html(
        ' <span class="help">{}</span>',
        _("The previous secret is still accepted until %(until)s.") % {"until": until},
    )


def _when(moment: datetime | None) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


class SecretsAdminMixin:
    """For a ``ModelAdmin`` whose model holds secrets (``secret_fields``).

    ``secret_displays`` names the read-only fields and form fields that show or set them:
    they are left out of the page for users without the change permission.
    """

    secret_fields: tuple[str, ...] = ()
    secret_displays: tuple[str, ...] = ()

    def secret_program(self, obj: Any) -> Program:
        return obj.program

    def new_secret_value(self, obj: Any, field: str) -> str | None:
        """A freshly generated value for the rotate button, or None: no rotate button."""
        return None

    def rotate_holder_secret(self, obj: Any, field: str, new_value: str, *, actor: str) -> Any:
        """Make ``new_value`` current (the holder's own service may check more first)."""
        return rotate_secret(self.secret_program(obj), obj, field, new_value, actor=actor)

    def secret_controls(self, obj: Any, field: str) -> SafeString | str:
        if obj is None or obj.pk is None:
            return "—"
        args = [obj.pk, field]
        rotate = ""
        if self.new_secret_value(obj, field) is not None:
            rotate = reverse(f"admin:{self._url_name('rotate')}", args=args)
        return secret_controls(
            obj,
            field,
            reveal_url=reverse(f"admin:{self._url_name('reveal')}", args=args),
            rotate_url=rotate,
        )

    def _url_name(self, action: str) -> str:
        opts = self.opts  # type: ignore[attr-defined]
        return f"{opts.app_label}_{opts.model_name}_{action}_secret"

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": [f for f in options["fields"] if f not in self.secret_displays],
                },
            )
            for name, options in fieldsets
        ]

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        prefix = "<path:object_id>/secrets/<str:field>"
        return [
            path(f"{prefix}/reveal/", wrap(self.reveal_view), name=self._url_name("reveal")),
            path(f"{prefix}/rotate/", wrap(self.rotate_view), name=self._url_name("rotate")),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def reveal_view(self, request: HttpRequest, object_id: str, field: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._holder(request, object_id, field)
        actor = request.user.get_username()
        secret = reveal_secret(self.secret_program(obj), obj, field, actor=actor)
        return JsonResponse({"secret": secret})

    def rotate_view(self, request: HttpRequest, object_id: str, field: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self._holder(request, object_id, field)
        new_value = self.new_secret_value(obj, field)
        if new_value is None:
            raise Http404
        actor = request.user.get_username()
        obj = self.rotate_holder_secret(obj, field, new_value, actor=actor)
        until = _when(grace_ends_at(getattr(obj, f"{field}_rotated_at")))
        text = _("Secret rotated. The previous one is still accepted until %(until)s.")
        messages.success(request, text % {"until": until})
        return JsonResponse({"rotated": True})

    def _holder(self, request: HttpRequest, object_id: str, field: str) -> Any:
        if field not in self.secret_fields:
            raise Http404
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        return obj
