from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    # widget (issue 3): demo page with both widgets; baseline view of bench/share_link.py
    path("widgets/", views.widgets, name="widgets"),
    path("bench/bare/", views.bare, name="bench-bare"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("parrain.core.urls")),
    path("webhooks/", include("parrain.plugins.generic_webhook.urls")),  # webhooks plugin (issue 6)
]
