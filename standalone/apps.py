from django.apps import AppConfig, apps


class StandaloneConfig(AppConfig):
    name = "parrain.standalone"
    label = "parrain_standalone"
    verbose_name = "Parrain service"

    def ready(self) -> None:
        from . import tasklog

        tasklog.connect()
        if apps.is_installed("parrain.plugins.generic_webhook"):
            from parrain.plugins.generic_webhook.signals import delivery_attempted

            from .metrics import count_delivery

            delivery_attempted.connect(count_delivery, dispatch_uid="parrain-metrics-deliveries")
