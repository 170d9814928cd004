from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("parrain.core.urls")),
    path("webhooks/", include("parrain.plugins.generic_webhook.urls")),  # webhooks plugin (issue 6)
]
