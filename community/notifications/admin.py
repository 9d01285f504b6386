from django.contrib import admin

from community.notifications.models import DigestDelivery, EmailDelivery, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "kind", "actor", "title", "count", "delivery", "updated_at", "read_at")
    list_filter = ("kind", "delivery")
    search_fields = ("recipient__email", "title")
    raw_id_fields = ("recipient", "actor")
    date_hierarchy = "created_at"


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "notification", "recipient", "status", "reason", "attempts", "created_at", "sent_at")
    list_filter = ("status", "reason")
    search_fields = ("recipient__email",)
    raw_id_fields = ("notification", "recipient")


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "member", "period", "status", "items", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("member__email", "period")
    raw_id_fields = ("member",)
