from django.urls import path

from . import views
from .api import urls as api_urls

app_name = "parrain"

urlpatterns = [
    path("api/v1/", api_urls()),
    path("parrain/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
