from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("parrain.core.urls")),
    # --- Django Oscar shop with the Parrain plugin (issue 4) ---
    path("shop/", views.shop_home, name="shop-home"),
    path("shop/dashboard/referral/", apps.get_app_config("parrain_oscar_dashboard").urls),
    path("shop/", include("parrain.plugins.oscar.urls")),
    path("shop/", include(apps.get_app_config("oscar").urls[0])),
    # --- end of the Oscar block ---
]
