from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import AuditLog, MemberSettings, NotificationPreference, User
from accounts.validation import handle_skeleton


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "handle", "display_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "handle", "display_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("handle", "display_name", "avatar", "bio", "locale", "time_zone")}),
        ("Moderation", {"fields": ("silenced_until", "suspended_until", "moderation_reason")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "last_seen_at", "deleted_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request, obj, form, change) -> None:
        # Keep the look-alike skeleton in step with a handle edited here (the unique constraint then guards).
        obj.handle = obj.handle.lower() if obj.handle else None
        obj.handle_skeleton = handle_skeleton(obj.handle) if obj.handle else None
        super().save_model(request, obj, form, change)


admin.site.register(NotificationPreference)
admin.site.register(MemberSettings)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action"]
