from django.contrib import admin

from community.metrics.models import Campaign, CampaignMember, DailyActivity, DigestBoost, Participation, SavedSegment


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only and written by community.metrics.actions.record."""

    list_display = ["occurred_at", "member", "kind", "subject_type", "subject_id", "points"]
    list_filter = ["kind"]
    raw_id_fields = ["member"]
    search_fields = ["member__handle", "member__email"]
    date_hierarchy = "occurred_at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(DailyActivity)
class DailyActivityAdmin(admin.ModelAdmin):
    list_display = ["day", "member", "total", "contributions", "engaged"]
    raw_id_fields = ["member"]
    date_hierarchy = "day"

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SavedSegment)
class SavedSegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "created_at"]
    filter_horizontal = ["members"]


@admin.register(DigestBoost)
class DigestBoostAdmin(admin.ModelAdmin):
    list_display = ["member", "reason", "created_at", "used_at"]
    raw_id_fields = ["member", "created_by"]


class CampaignMemberInline(admin.TabularInline):
    model = CampaignMember
    raw_id_fields = ["member"]
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "started_at", "holdout_percent"]
    inlines = [CampaignMemberInline]
