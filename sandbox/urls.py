from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from . import outbox, views

urlpatterns = [
    path("", views.home, name="home"),
    # widget (issue 3): demo page with both widgets; baseline view of bench/share_link.py
    path("widgets/", views.widgets, name="widgets"),
    path("bench/bare/", views.bare, name="bench-bare"),
    # issue 13: the emails the demo sent (staff only; off unless the outbox backend is in use)
    path("demo/customers.csv", views.customers, name="demo-customers"),  # issue 14: to import
    path("demo/outbox/", outbox.outbox, name="demo-outbox"),
    path("demo/outbox/<str:name>/", outbox.outbox_email, name="demo-outbox-email"),
    path("demo/outbox/<str:name>/html/", outbox.outbox_email_html, name="demo-outbox-email-html"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("parrain.core.urls")),
    path("webhooks/", include("parrain.plugins.generic_webhook.urls")),  # webhooks plugin (issue 6)
    # --- Django Oscar shop with the Parrain plugin (issue 4) ---
    path("shop/", views.shop_home, name="shop-home"),
    path("shop/dashboard/referral/", apps.get_app_config("parrain_oscar_dashboard").urls),
    path("shop/", include("parrain.plugins.oscar.urls")),
    path("shop/", include(apps.get_app_config("oscar").urls[0])),
    # --- end of the Oscar block ---
]

# --- Wagtail (issue 5): admin at /cms/, page serving LAST (it matches every path) ---
from django.conf import settings  # noqa: E402
from django.conf.urls.static import static  # noqa: E402
from wagtail import urls as wagtail_urls  # noqa: E402
from wagtail.admin import urls as wagtailadmin_urls  # noqa: E402

urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
urlpatterns += [
    path("cms/", include(wagtailadmin_urls)),
    path("", include(wagtail_urls)),
]
# --- end Wagtail ---
