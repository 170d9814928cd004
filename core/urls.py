from django.urls import path

from . import contest_views, sms_views, views
from .api import public_urls
from .api import urls as api_urls

app_name = "parrain"

urlpatterns = [
    path("api/v1/public/", public_urls()),  # before api/v1/: its catch-all answers 404
    path("api/v1/", api_urls()),
    path("r/<str:code>", views.share_link, name="share-link"),
    path("parrain/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("parrain/confirm/<str:token>/", views.confirm_email, name="confirm-email"),
    path("parrain/sms/inbound/", sms_views.sms_inbound, name="sms_inbound"),
    path("contest/<str:public_id>/", contest_views.contest_page, name="contest"),
    path(
        "contest/<str:public_id>/entries.csv",
        contest_views.contest_entries,
        name="contest-entries",
    ),
]
