"""Models of events: occurrences (Event), their series, RSVPs, reminders, calendar feeds and feedback.

Seat accounting: `Event.seats_taken` and `Event.waitlist_count` are kept by events.actions, always while the
Event row is locked (`select_for_update`), so they match the RSVP rows at every commit.
"""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from accounts.models import TIME_ZONE_CHOICES


class Format(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone, including visitors")
    MEMBERS = "members", _("Signed-in members")
    ROLES = "roles", _("Members with one of the chosen roles")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class EventSeries(models.Model):
    """A recurring event: each occurrence is its own Event (own RSVPs, capacity, check-in)."""

    title = models.CharField(_("title"), max_length=200)
    frequency = models.CharField(_("repeats"), max_length=10, choices=Frequency.choices)
    interval = models.PositiveSmallIntegerField(default=1, help_text="Every n weeks or months.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")

    def __str__(self) -> str:
        return self.title


class EventQuerySet(models.QuerySet):
    def published(self) -> EventQuerySet:
        """Published or cancelled: shown in listings (cancelled ones marked as such)."""
        return self.filter(status__in=[Status.PUBLISHED, Status.CANCELLED])

    def upcoming(self, now: datetime | None = None) -> EventQuerySet:
        return self.filter(ends_at__gte=now or timezone.now())

    def past(self, now: datetime | None = None) -> EventQuerySet:
        return self.filter(ends_at__lt=now or timezone.now())

    def visible_to(self, user) -> EventQuerySet:
        """Events `user` may see: published ones their audience allows, and every event for managers."""
        from events.permissions import is_manager, member_group_ids

        if user is not None and user.is_authenticated and is_manager(user):
            return self
        qs = self.published()
        if user is None or not user.is_authenticated:
            return qs.filter(visibility=Visibility.PUBLIC)
        group_ids = member_group_ids(user)
        return qs.filter(
            Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS])
            | Q(visibility=Visibility.ROLES, roles__in=group_ids)
            | Q(hosts=user)
        ).distinct()


def cover_path(instance: Event, filename: str) -> str:
    # The name is chosen by events.actions (random), this only files it.
    return f"events/covers/{filename}"


class Event(models.Model):
    """One occurrence people RSVP to."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=220, allow_unicode=True)
    body = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    body_html = models.TextField(blank=True, editable=False, help_text="The description rendered once, when saved.")
    cover = models.ImageField(_("cover image"), upload_to=cover_path, blank=True)

    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"), db_index=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC",
        help_text=_("The zone the event happens in (IANA name); times are also shown in each viewer's zone."),
    )

    format = models.CharField(_("format"), max_length=10, choices=Format.choices, default=Format.IN_PERSON)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    map_url = models.URLField(_("map link"), blank=True)
    join_url = models.URLField(
        _("online join link"), blank=True, max_length=500,
        help_text=_("Shown only to confirmed attendees: on the page, in their calendar file and their emails."),
    )

    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True, help_text=_("Empty: no limit."))
    max_plus_ones = models.PositiveSmallIntegerField(
        _("guests per member"), default=0, help_text=_("How many guests a member may bring (counted as seats).")
    )
    rsvp_deadline = models.DateTimeField(
        _("RSVP deadline"), null=True, blank=True, help_text=_("Empty: RSVPs can change until the event starts.")
    )

    hosts = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="hosted_events", blank=True)
    tags = TaggableManager(blank=True)
    visibility = models.CharField(_("who can see it"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    roles = models.ManyToManyField("auth.Group", blank=True, related_name="+",
                                   help_text="With visibility 'roles': the groups that can see the event.")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    series = models.ForeignKey(EventSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    discussion_category = models.ForeignKey(
        "forum.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("discussion category"), help_text=_("Where the event's discussion topic is started."),
    )
    discussion_topic = models.ForeignKey(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The event's discussion, created through community.forum.actions.topic_create.",
    )

    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE, bumped on every change.")
    seats_taken = models.PositiveIntegerField(default=0, help_text="Going members plus their guests.")
    going_count = models.PositiveIntegerField(default=0, help_text="Going members (without guests).")
    waitlist_count = models.PositiveIntegerField(default=0)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attendance_closed_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when no-shows were recorded after the event."
    )
    feedback_requested_at = models.DateTimeField(null=True, blank=True, help_text="Survey emails claimed.")

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gte=models.F("starts_at")), name="events_event_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"pk": self.pk, "slug": self.slug or "event"})

    @property
    def zoneinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    @property
    def is_online(self) -> bool:
        return self.format in (Format.ONLINE, Format.HYBRID)

    @property
    def is_in_person(self) -> bool:
        return self.format in (Format.IN_PERSON, Format.HYBRID)

    @property
    def is_cancelled(self) -> bool:
        return self.status == Status.CANCELLED

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def rsvp_closes_at(self) -> datetime:
        return self.rsvp_deadline or self.starts_at

    def rsvp_open(self, now: datetime | None = None) -> bool:
        return self.is_published and (now or timezone.now()) < self.rsvp_closes_at

    def is_past(self, now: datetime | None = None) -> bool:
        return self.ends_at < (now or timezone.now())

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.seats_taken >= self.capacity


class RSVPStatus(models.TextChoices):
    GOING = "going", _("Going")
    WAITLISTED = "waitlisted", _("On the waitlist")
    INTERESTED = "interested", _("Interested")
    NOT_GOING = "not_going", _("Not going")


class Attendance(models.TextChoices):
    UNKNOWN = "unknown", _("Not checked in")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")


class RSVPQuerySet(models.QuerySet):
    def going(self) -> RSVPQuerySet:
        return self.filter(status=RSVPStatus.GOING)

    def waitlisted(self) -> RSVPQuerySet:
        return self.filter(status=RSVPStatus.WAITLISTED).order_by("waitlisted_at", "pk")

    def responded(self) -> RSVPQuerySet:
        """Every answer except 'not going': what a member's calendar feed lists."""
        return self.exclude(status=RSVPStatus.NOT_GOING)


class RSVP(models.Model):
    """A member's answer for one occurrence; one per member and event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_rsvps")
    status = models.CharField(max_length=12, choices=RSVPStatus.choices)
    plus_ones = models.PositiveSmallIntegerField(default=0, help_text="Guests the member brings (seats beyond their own).")
    waitlisted_at = models.DateTimeField(null=True, blank=True, help_text="Place in the waitlist (order of arrival).")
    attendance = models.CharField(max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    survey_sent_at = models.DateTimeField(null=True, blank=True, help_text="Feedback survey email claimed.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = RSVPQuerySet.as_manager()

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [models.UniqueConstraint(fields=["member", "event"], name="events_rsvp_member_event_unique")]
        indexes = [models.Index(fields=["event", "status", "waitlisted_at"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.status} {self.event_id}"

    @property
    def seats(self) -> int:
        return 1 + self.plus_ones if self.status == RSVPStatus.GOING else 0

    @property
    def is_going(self) -> bool:
        return self.status == RSVPStatus.GOING


class ReminderDelivery(models.Model):
    """Claimed before a reminder is sent, so that a second run of the command sends nothing."""

    rsvp = models.ForeignKey(RSVP, on_delete=models.CASCADE, related_name="reminders")
    offset_minutes = models.PositiveIntegerField(help_text="How long before the start (EVENT_REMINDER_OFFSETS).")
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(default=False, help_text="A closer reminder was due at the same time.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rsvp", "offset_minutes"], name="events_reminder_rsvp_offset_unique")
        ]

    def __str__(self) -> str:
        return f"reminder {self.offset_minutes}m for rsvp {self.rsvp_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A member's private calendar subscription URL; regenerating the token revokes the old URL."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of {self.member_id}"

    def get_absolute_url(self) -> str:
        return reverse("events:feed", kwargs={"token": self.token})


class EventMessage(models.Model):
    """A message hosts sent to the attendees of an event (kept as a record; mailed by a task)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=150)
    body = models.TextField()
    body_html = models.TextField(blank=True, editable=False)
    audience = models.CharField(max_length=12, default="going", help_text="going, waitlisted or all.")
    recipients_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.subject


class EventFeedback(models.Model):
    """One attendee's survey answer (read by reporting): NPS 0-10, satisfaction 1-5, comment."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="feedback")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="event_feedback", help_text="Empty once the member erased the account.")
    nps = models.PositiveSmallIntegerField(help_text="How likely to recommend, 0-10.")
    satisfaction = models.PositiveSmallIntegerField(help_text="1 (very unsatisfied) to 5 (very satisfied).")
    comment = models.TextField(blank=True, max_length=4000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "event"], name="events_feedback_member_event_unique"),
            models.CheckConstraint(condition=Q(nps__lte=10), name="events_feedback_nps_range"),
            models.CheckConstraint(condition=Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="events_feedback_satisfaction_range"),
        ]

    def __str__(self) -> str:
        return f"feedback {self.nps}/{self.satisfaction} on {self.event_id}"

    @property
    def is_promoter(self) -> bool:
        return self.nps >= 9

    @property
    def is_detractor(self) -> bool:
        return self.nps <= 6
