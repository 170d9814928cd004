"""URLs of the standalone service: the APIs and share links (core), the webhooks, the
Django admin, and the health, readiness and metrics endpoints."""

from django.contrib import admin
from django.urls import include, path

from . import health, metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("webhooks/", include("parrain.plugins.generic_webhook.urls")),
    path("", include("parrain.core.urls")),
]
