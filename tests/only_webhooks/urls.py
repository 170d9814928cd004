from django.urls import include, path

urlpatterns = [
    path("", include("parrain.core.urls")),
    path("webhooks/", include("parrain.plugins.generic_webhook.urls")),
]
