from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParrainOscarConfig(AppConfig):
    name = "parrain.plugins.oscar"
    label = "parrain_oscar"
    verbose_name = _("Referral program for Oscar")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from . import receivers
        from .checks import check_search_form_scope, check_shop_program

        receivers.connect()
        checks.register(check_shop_program)
        checks.register(check_search_form_scope)
