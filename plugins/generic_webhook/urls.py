"""Inbound webhook URLs; a project includes them, e.g. under ``webhooks/``."""

from django.urls import path

from . import views

app_name = "parrain_webhooks"

urlpatterns = [
    path(
        "in/<slug:program>/<str:source>/",
        views.receive,
        name="inbound",
    ),
]
