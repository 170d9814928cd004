from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "parrain.plugins.generic_webhook"
    label = "parrain_webhooks"
    verbose_name = _("Referral webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            api,
            checks,  # noqa: F401  (registers the system checks)
            receivers,
        )
        from .outbound import receivers as outbound_receivers

        outbound_receivers.connect()
        receivers.connect()
        api.mount()  # the endpoints' management API, under /api/v1/manage/programs/…
