"""Reads of the events app that cross relations (each with its select/prefetch, so list pages stay O(1) in
queries as rows grow)."""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.roles import MANAGE_EVENTS
from events.emails import join_link_for
from events.models import RSVP, Attendance, Event, EventFeedback, Format, RSVPStatus, Status
from events.permissions import can_see_event

LISTED_ATTENDEES = 30


def _with_related(qs):
    return qs.select_related("series").prefetch_related(
        Prefetch("hosts", queryset=User.objects.only("pk", "display_name", "handle", "deleted_at")), "tags"
    )


def event_list(*, user, when: str = "upcoming", format: str = "", tag: str = "", host: str = "", now=None):
    """Visible events, upcoming (soonest first) or past (latest first), filtered."""
    now = now or timezone.now()
    qs = Event.objects.visible_to(user)
    if when == "past":
        qs = qs.past(now).order_by("-starts_at", "-pk")
    else:
        qs = qs.upcoming(now).order_by("starts_at", "pk")
    if format == "online":
        qs = qs.filter(format__in=[Format.ONLINE, Format.HYBRID])
    elif format == "in_person":
        qs = qs.filter(format__in=[Format.IN_PERSON, Format.HYBRID])
    if tag:
        qs = qs.filter(tags__slug=tag)
    if host:
        qs = qs.filter(hosts__handle__iexact=host)
    if tag or host:
        qs = qs.distinct()
    return _with_related(qs)


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    events: list


def calendar_month(*, user, year: int, month: int, tz) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month with the visible events on their start day in the viewer's zone."""
    weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    start = datetime.combine(first, time.min).replace(tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min).replace(tzinfo=tz)
    events = _with_related(Event.objects.visible_to(user).filter(starts_at__gte=start, starts_at__lt=end)
                           .order_by("starts_at", "pk"))
    by_day: dict[date, list[Event]] = {}
    for event in events:
        by_day.setdefault(event.starts_at.astimezone(tz).date(), []).append(event)
    today = timezone.now().astimezone(tz).date()
    return [[CalendarDay(day, day.month == month, day == today, by_day.get(day, [])) for day in week]
            for week in weeks]


def event_for_viewer(*, user, pk: int) -> Event:
    """The event with what its page shows; 404 when the viewer may not see it."""
    event = (Event.objects.select_related("series", "discussion_topic", "discussion_category")
             .prefetch_related(Prefetch("hosts", queryset=User.objects.all()), "tags", "roles")
             .filter(pk=pk).first())
    if event is None or not can_see_event(user, event):
        raise Http404
    return event


def other_occurrences(*, user, event: Event, limit: int = 8) -> list[Event]:
    """The next visible occurrences of the same series (each has its own RSVPs)."""
    if not event.series_id:
        return []
    return list(Event.objects.visible_to(user).upcoming().filter(series_id=event.series_id).exclude(pk=event.pk)
                .order_by("starts_at", "pk")[:limit])


def later_occurrences(event: Event):
    """The occurrences of the event's series after it that can still change: not cancelled, not over."""
    if event.series_id is None:
        return Event.objects.none()
    return (Event.objects.filter(series_id=event.series_id, starts_at__gt=event.starts_at,
                                 ends_at__gt=timezone.now())
            .exclude(status=Status.CANCELLED).order_by("starts_at"))


def public_attendees(*, event: Event, limit: int = LISTED_ATTENDEES) -> tuple[list[User], int]:
    """Confirmed attendees who chose to be listed (MemberSettings.show_in_attendee_lists), and how many
    others are going."""
    going = RSVP.objects.filter(event=event, status=RSVPStatus.GOING, member__is_active=True,
                                member__deleted_at__isnull=True)
    listed = going.filter(Q(member__settings__show_in_attendee_lists=True) | Q(member__settings__isnull=True))
    members = [rsvp.member for rsvp in listed.select_related("member").order_by("created_at", "pk")[:limit]]
    return members, max(event.going_count - len(members), 0)


def member_rsvp(*, member, event: Event) -> RSVP | None:
    if not member.is_authenticated:
        return None
    return RSVP.objects.filter(event=event, member=member).first()


def waitlist_position(*, rsvp: RSVP) -> int | None:
    """1 for the first in line."""
    if rsvp.status != RSVPStatus.WAITLISTED:
        return None
    return RSVP.objects.filter(event_id=rsvp.event_id, status=RSVPStatus.WAITLISTED).filter(
        Q(waitlisted_at__lt=rsvp.waitlisted_at) | Q(waitlisted_at=rsvp.waitlisted_at, pk__lt=rsvp.pk)
    ).count() + 1


def attendee_rows(*, event: Event, query: str = ""):
    """Hosts' attendee list: everyone who answered, going first, waitlist in order of arrival."""
    qs = RSVP.objects.filter(event=event).exclude(status=RSVPStatus.NOT_GOING).select_related("member")
    if query:
        qs = qs.filter(Q(member__display_name__icontains=query) | Q(member__handle__icontains=query)
                       | Q(member__email__icontains=query))
    order = {RSVPStatus.GOING: 0, RSVPStatus.WAITLISTED: 1, RSVPStatus.INTERESTED: 2}
    return sorted(qs, key=lambda r: (order.get(r.status, 3), r.waitlisted_at or r.created_at, r.pk))


def checkin_rows(*, event: Event, query: str = ""):
    qs = RSVP.objects.filter(event=event, status=RSVPStatus.GOING).select_related("member")
    if query:
        qs = qs.filter(Q(member__display_name__icontains=query) | Q(member__handle__icontains=query))
    return list(qs.order_by("member__display_name", "pk"))


def attendance_counts(*, event: Event) -> dict:
    rows = RSVP.objects.filter(event=event, status=RSVPStatus.GOING).values_list("attendance", flat=True)
    counts = {Attendance.ATTENDED: 0, Attendance.NO_SHOW: 0, Attendance.UNKNOWN: 0}
    for value in rows:
        counts[value] = counts.get(value, 0) + 1
    return {"attended": counts[Attendance.ATTENDED], "no_show": counts[Attendance.NO_SHOW],
            "unknown": counts[Attendance.UNKNOWN]}


def feedback_summary(*, event: Event) -> dict:
    """NPS = % promoters (9-10) - % detractors (0-6); CSAT = % of satisfaction 4-5. None without answers."""
    rows = list(EventFeedback.objects.filter(event=event).values_list("nps", "satisfaction"))
    count = len(rows)
    if not count:
        return {"count": 0, "nps": None, "csat": None, "promoters": 0, "passives": 0, "detractors": 0}
    promoters = sum(1 for nps, _s in rows if nps >= 9)
    detractors = sum(1 for nps, _s in rows if nps <= 6)
    satisfied = sum(1 for _n, sat in rows if sat >= 4)
    return {
        "count": count,
        "nps": round(100 * (promoters - detractors) / count),
        "csat": round(100 * satisfied / count),
        "promoters": promoters,
        "passives": count - promoters - detractors,
        "detractors": detractors,
    }


def feedback_comments(*, event: Event):
    return EventFeedback.objects.filter(event=event).exclude(comment="").select_related("member").order_by(
        "-created_at")


def my_rsvps(*, member, now=None):
    """The member's answers for events still to come (not 'not going'), soonest first."""
    return (RSVP.objects.filter(member=member, event__ends_at__gte=now or timezone.now())
            .exclude(event__status="draft").responded()
            .select_related("event").prefetch_related("event__hosts", "event__tags")
            .order_by("event__starts_at", "pk"))


def feed_entries(*, member) -> list[tuple[Event, str]]:
    """(event, join link or "") for every event the member answered and can still see."""
    rsvps = (RSVP.objects.filter(member=member).responded().select_related("event")
             .prefetch_related("event__roles", "event__hosts").order_by("event__starts_at"))
    entries = []
    for rsvp in rsvps:
        event = rsvp.event
        if event.status == "draft" or not can_see_event(member, event):
            continue
        entries.append((event, join_link_for(rsvp)))
    return entries


def host_choices():
    """Members who can host: community managers (permission accounts.manage_events) and staff."""
    app_label, codename = MANAGE_EVENTS.split(".")
    perm = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    return User.objects.active().filter(perm | Q(is_staff=True)).distinct().order_by("display_name", "pk")


def hosted_by(*, member) -> list[Event]:
    return list(_with_related(Event.objects.filter(hosts=member).order_by("-starts_at"))[:50])


def live_stream_spec(*, event: Event) -> str:
    """"event.<id>@<newest id>" for the page's live subscription (the head so nothing is missed)."""
    from community import realtime

    stream = realtime.event_stream(event.pk)
    try:
        from community.live.selectors import stream_heads
    except ImportError:
        return stream
    return f"{stream}@{stream_heads([stream])[stream]}"
