from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParrainConfig(AppConfig):
    name = "parrain.core"
    label = "parrain"
    verbose_name = _("Referral program")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (checks registers the system checks)

        receivers.connect()
