from django.contrib import admin

from community.content.models import (
    Article,
    NewsletterDelivery,
    NewsletterIssue,
    Segment,
    Subscriber,
    Suppression,
)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "publish_at", "language", "members_only"]
    list_filter = ["status", "language", "members_only"]
    search_fields = ["title", "slug", "summary"]
    readonly_fields = ["body_html", "reading_minutes"]
    raw_id_fields = ["discussion_topic", "created_by"]
    filter_horizontal = ["authors"]


@admin.register(NewsletterIssue)
class NewsletterIssueAdmin(admin.ModelAdmin):
    list_display = ["subject", "status", "segment", "send_at", "started_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["body_html", "prepared_at", "started_at", "finished_at"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "language"]


@admin.register(NewsletterDelivery)
class NewsletterDeliveryAdmin(admin.ModelAdmin):
    list_display = ["issue", "email", "status", "sent_at", "opened_at", "clicked_at", "unsubscribed_at"]
    list_filter = ["status"]
    search_fields = ["email"]
    raw_id_fields = ["issue", "member", "subscriber"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the sending engine owns these rows


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "language", "created_at", "confirmed_at"]
    list_filter = ["status", "language"]
    search_fields = ["email", "name"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
