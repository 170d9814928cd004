"""The program's identity secret in the Wagtail admin: masked in the inspect view for users
who may change the program (hidden from the others), revealed and rotated by a POST that
goes through ``core.services.secrets`` (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from wagtail.snippets.views.snippets import InspectView

from parrain.core.admin_secrets import secret_controls
from parrain.core.models import Program
from parrain.core.services.secrets import reveal_secret, rotate_identity_secret
from parrain.core.services.widget_errors import (
    recent_widget_errors,
    refused_lately,
    refused_origins_message,
)

from .setup_views import wagtail_checklist

SECRET_COLUMNS = ("identity_secret", "identity_secret_previous", "identity_secret_rotated_at")


class ProgramInspectView(InspectView):
    reveal_url_name: str | None = None
    rotate_url_name: str | None = None

    def get_fields(self) -> list[str]:
        fields = [name for name in super().get_fields() if name not in SECRET_COLUMNS]
        fields.insert(0, "setup_checklist")
        fields.append("refused_origins")
        if self.permission_policy.user_has_permission(self.request.user, "change"):
            fields.append("identity_secret")
        return fields

    def get_field_label(self, field_name: str, field: Any) -> str:
        if field_name == "refused_origins":
            return str(_("Recent widget errors"))
        if field_name == "setup_checklist":
            return str(_("Setup"))
        return super().get_field_label(field_name, field)

    def get_setup_checklist_display_value(self) -> SafeString:
        return wagtail_checklist(self.request, self.object)

    def get_refused_origins_display_value(self) -> SafeString:
        origins = refused_lately(self.object)
        if origins:
            messages.warning(self.request, refused_origins_message(origins))
        return render_to_string(
            "parrain/admin/widget_errors.html",
            {"widget_errors": recent_widget_errors(self.object)},
            request=self.request,
        )

    def get_identity_secret_display_value(self) -> SafeString:
        args = [self.object.pk]
        return secret_controls(
            self.object,
            "identity_secret",
            reveal_url=reverse(self.reveal_url_name, args=args),
            rotate_url=reverse(self.rotate_url_name, args=args),
            csrf_token=get_token(self.request),
        )


@method_decorator(never_cache, name="dispatch")
class IdentitySecretView(View):
    """POST only (the CSRF middleware checks the token); change permission required."""

    http_method_names = ["post"]
    permission_policy: Any = None
    action = "reveal"

    def post(self, request: HttpRequest, pk: str) -> JsonResponse:
        program = get_object_or_404(Program, pk=pk)
        user = request.user
        if not self.permission_policy.user_has_permission_for_instance(user, "change", program):
            # A plain 403 (Wagtail would turn PermissionDenied into a redirect to its home).
            return JsonResponse({"detail": "permission denied"}, status=403)
        actor = user.get_username()
        if self.action == "rotate":
            rotate_identity_secret(program, actor=actor)
            return JsonResponse({"rotated": True})
        return JsonResponse(
            {"secret": reveal_secret(program, program, "identity_secret", actor=actor)}
        )
