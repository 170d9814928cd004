from django.urls import path

from . import views
from .api import api

app_name = "parrain"

urlpatterns = [
    path("api/v1/", api.urls),
    path("parrain/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
