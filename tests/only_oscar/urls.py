from django.apps import apps
from django.urls import include, path

urlpatterns = [
    path("", include("parrain.core.urls")),
    path("shop/dashboard/referral/", apps.get_app_config("parrain_oscar_dashboard").urls),
    path("shop/", include("parrain.plugins.oscar.urls")),
    path("shop/", include(apps.get_app_config("oscar").urls[0])),
]
