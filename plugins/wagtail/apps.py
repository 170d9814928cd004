from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParrainWagtailConfig(AppConfig):
    name = "parrain.plugins.wagtail"
    label = "parrain_wagtail"
    verbose_name = _("Referral program for Wagtail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
