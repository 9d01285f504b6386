from django.contrib import admin

from events.models import RSVP, CalendarFeed, Event, EventFeedback, EventMessage, EventSeries, ReminderDelivery


class RSVPInline(admin.TabularInline):
    model = RSVP
    extra = 0
    raw_id_fields = ("member", "checked_in_by")
    readonly_fields = ("created_at", "updated_at", "waitlisted_at", "survey_sent_at")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "starts_at", "time_zone", "format", "status", "capacity", "seats_taken",
                    "waitlist_count")
    list_filter = ("status", "format", "visibility")
    search_fields = ("title",)
    raw_id_fields = ("created_by", "series", "discussion_topic", "discussion_category")
    filter_horizontal = ("hosts", "roles")
    # Counters and SEQUENCE are kept by events.actions under a row lock; edit through the site, not here.
    readonly_fields = ("sequence", "seats_taken", "going_count", "waitlist_count", "body_html", "published_at",
                       "cancelled_at", "attendance_closed_at", "feedback_requested_at")
    inlines = [RSVPInline]


@admin.register(EventSeries)
class EventSeriesAdmin(admin.ModelAdmin):
    list_display = ("title", "frequency", "interval", "created_at")


@admin.register(RSVP)
class RSVPAdmin(admin.ModelAdmin):
    list_display = ("event", "member", "status", "plus_ones", "attendance", "created_at")
    list_filter = ("status", "attendance")
    raw_id_fields = ("event", "member", "checked_in_by")


@admin.register(EventFeedback)
class EventFeedbackAdmin(admin.ModelAdmin):
    list_display = ("event", "member", "nps", "satisfaction", "created_at")
    raw_id_fields = ("event", "member")


@admin.register(EventMessage)
class EventMessageAdmin(admin.ModelAdmin):
    list_display = ("event", "subject", "sender", "recipients_count", "created_at")
    raw_id_fields = ("event", "sender")


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    list_display = ("rsvp", "offset_minutes", "claimed_at", "sent_at", "skipped")
    raw_id_fields = ("rsvp",)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("member", "created_at")
    raw_id_fields = ("member",)
    exclude = ("token",)
