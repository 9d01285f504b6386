from django.apps import AppConfig


class LiveConfig(AppConfig):
    """The live layer's storage: the per-stream event backlog behind `community.realtime`."""

    name = "community.live"
    label = "live"
    default_auto_field = "django.db.models.BigAutoField"
