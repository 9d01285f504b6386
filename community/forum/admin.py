"""Admin for the forum: categories are set up here; posts and flags can be inspected (writes go through the
forum's own moderation pages, which audit every action)."""

from __future__ import annotations

from django.contrib import admin

from community.forum.models import Category, Flag, Post, Topic


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    # Changing who may read a category (access level, roles, moderators) publishes no per-member
    # "access.changed": a category can have any number of readers, so there is no fan-out to every member's
    # stream. Each open socket re-checks its streams every settings.REALTIME_RECHECK_SECONDS (5 s) on its own
    # (community.live.consumers), which stops events of the category within seconds.
    list_display = ("name", "slug", "position", "access_level", "qa_mode", "slow_mode_seconds", "topic_count")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("access_groups", "moderators")
    readonly_fields = ("topic_count",)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "author", "reply_count", "last_posted_at", "pinned", "locked", "closed",
                    "deleted_at")
    list_filter = ("category", "pinned", "locked", "closed")
    search_fields = ("title",)
    raw_id_fields = ("author", "last_poster", "accepted_answer", "merged_into", "deleted_by")
    readonly_fields = ("reply_count", "last_post_number", "like_count", "view_count", "last_posted_at")


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("__str__", "author", "created_at", "hidden", "approved", "deleted_at")
    list_filter = ("hidden", "approved")
    raw_id_fields = ("topic", "author", "reply_to", "deleted_by")
    readonly_fields = ("html", "reaction_counts", "number", "idempotency_key")


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("post", "user", "reason", "created_at", "resolved_at", "resolution")
    list_filter = ("reason", "resolution")
    raw_id_fields = ("post", "user", "resolved_by")
