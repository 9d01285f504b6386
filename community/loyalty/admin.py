from django.contrib import admin

from community.loyalty.models import (
    BadgeAward,
    MemberPoints,
    MemberTier,
    PointEntry,
    PointRule,
    Redemption,
    Reward,
    RewardCode,
    Tier,
)


@admin.register(PointRule)
class PointRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "points", "daily_cap", "active"]
    list_editable = ["points", "daily_cap", "active"]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "threshold", "window_days", "color"]
    list_editable = ["threshold", "window_days"]


@admin.register(PointEntry)
class PointEntryAdmin(admin.ModelAdmin):
    """Read-only: the ledger is changed only by appending through community.loyalty.actions."""

    list_display = ["created_at", "member", "points", "reason", "kind", "note"]
    list_filter = ["reason", "kind"]
    raw_id_fields = ["member", "participation", "reverses"]
    search_fields = ["member__handle", "member__email"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(MemberPoints)
class MemberPointsAdmin(admin.ModelAdmin):
    list_display = ["member", "balance", "earned", "updated_at"]
    raw_id_fields = ["member"]
    readonly_fields = ["balance", "earned", "updated_at"]


@admin.register(MemberTier)
class MemberTierAdmin(admin.ModelAdmin):
    list_display = ["member", "tier", "since"]
    raw_id_fields = ["member"]


@admin.register(BadgeAward)
class BadgeAwardAdmin(admin.ModelAdmin):
    list_display = ["member", "badge", "awarded_at"]
    list_filter = ["badge"]
    raw_id_fields = ["member"]


class RewardCodeInline(admin.TabularInline):
    model = RewardCode
    extra = 3
    fields = ["code", "assigned_at"]
    readonly_fields = ["assigned_at"]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "price", "stock", "active"]
    inlines = [RewardCodeInline]


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "member", "reward", "points", "emailed_at"]
    raw_id_fields = ["member", "entry", "code"]
    readonly_fields = ["points", "entry", "code", "created_at"]
