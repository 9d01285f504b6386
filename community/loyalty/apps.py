from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "community.loyalty"
    label = "loyalty"
    default_auto_field = "django.db.models.BigAutoField"
