from django.apps import AppConfig, apps


class StandaloneConfig(AppConfig):
    name = "parrain.standalone"
    label = "parrain_standalone"
    verbose_name = "Parrain service"

    def ready(self) -> None:
        # The web processes queue tasks through this app (the broker of the settings); a
        # Celery worker or beat started with ``-A parrain.standalone`` has it already.
        from . import celery, tasklog  # noqa: F401

        tasklog.connect()
        if apps.is_installed("parrain.plugins.generic_webhook"):
            from parrain.plugins.generic_webhook.signals import delivery_attempted

            from .metrics import count_delivery

            delivery_attempted.connect(count_delivery, dispatch_uid="parrain-metrics-deliveries")
