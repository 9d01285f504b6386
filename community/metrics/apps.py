from django.apps import AppConfig


def _forget_totals(sender, **kwargs) -> None:
    """A member erased for good takes their roll-ups along: the stored period totals counted them."""
    from community.metrics.models import PeriodTotal

    PeriodTotal.objects.all().delete()


class MetricsConfig(AppConfig):
    name = "community.metrics"
    label = "metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete

        post_delete.connect(_forget_totals, sender=settings.AUTH_USER_MODEL, dispatch_uid="metrics_forget_totals")
