"""Demo events: a past meetup (with attendance and feedback), upcoming ones, an online webinar, a full workshop
with a waitlist, and a monthly series. Idempotent: events are found by title and left as they are."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from events.actions import checkin_mark, event_create, rsvp_set, series_create
from events.models import RSVP, Event, EventFeedback, EventSeries, RSVPStatus

PAST_TITLE = "Spring meetup in Rīga"
UPCOMING_TITLE = "Customer meetup: what's new this season"
ONLINE_TITLE = "Webinar: getting started with the community"
FULL_TITLE = "Hands-on workshop (small group)"
SERIES_TITLE = "Monthly community office hours"


def _at(days: int, hour: int, tz: str) -> datetime:
    zone = ZoneInfo(tz)
    day = (timezone.now().astimezone(zone) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, 0), tzinfo=zone)


def _category():
    try:
        from community.forum.models import Category
    except ImportError:
        return None
    return Category.objects.order_by("position", "pk").first()


def _rsvp(member, event, status="going", plus_ones=0):
    if not RSVP.objects.filter(member=member, event=event).exists():
        rsvp_set(member=member, event=event, status=status, plus_ones=plus_ones)


@transaction.atomic
def seed(stdout=None) -> dict[str, Event]:
    from accounts.demo import seed as seed_members

    members = seed_members()
    host = members["maria"]
    others = [members[h] for h in ("anahit", "amani", "janis", "sam", "liga", "juma")]
    category = _category()
    events: dict[str, Event] = {}

    # A past meetup: created while it was upcoming, then moved into the past with attendance and feedback.
    past = Event.objects.filter(title=PAST_TITLE).first()
    if past is None:
        start = _at(3, 18, "Europe/Riga")
        past = event_create(
            actor=host, title=PAST_TITLE, starts_at=start, ends_at=start + timedelta(hours=2),
            time_zone="Europe/Riga", venue="Rīgas Birža", address="Doma laukums 6, Rīga",
            map_url="https://www.openstreetmap.org/search?query=Doma%20laukums%206", capacity=30,
            body="An evening of demos and **lightning talks**, with snacks.", tags=["meetup", "riga"],
            discussion_category=category, publish=True)
        for member in others[:5]:
            _rsvp(member, past)
        start = _at(-14, 18, "Europe/Riga")
        Event.objects.filter(pk=past.pk).update(starts_at=start, ends_at=start + timedelta(hours=2))
        past.refresh_from_db()
        for rsvp in RSVP.objects.filter(event=past, status=RSVPStatus.GOING).select_related("member")[:4]:
            checkin_mark(actor=host, rsvp=rsvp)
        from events.actions import attendance_close

        attendance_close(event=past)
        answers = [(10, 5, "Great talks, thank you!"), (9, 4, ""), (7, 4, "A bit long."), (4, 2, "Too noisy.")]
        attended = RSVP.objects.filter(event=past, attendance="attended").select_related("member")
        for rsvp, (nps, sat, comment) in zip(attended, answers):
            EventFeedback.objects.get_or_create(event=past, member=rsvp.member,
                                                defaults={"nps": nps, "satisfaction": sat, "comment": comment})
        Event.objects.filter(pk=past.pk).update(feedback_requested_at=timezone.now())
    events["past"] = past

    upcoming = Event.objects.filter(title=UPCOMING_TITLE).first()
    if upcoming is None:
        start = _at(10, 17, "America/New_York")
        upcoming = event_create(
            actor=host, title=UPCOMING_TITLE, starts_at=start, ends_at=start + timedelta(hours=3),
            time_zone="America/New_York", format="hybrid", venue="Brand HQ", address="1 Main Street, New York",
            join_url="https://meet.example.com/demo-hybrid-meetup", capacity=40, max_plus_ones=1,
            rsvp_deadline=start - timedelta(hours=12), tags=["meetup", "product"],
            body="Meet the team, see the roadmap and tell us what you need.", discussion_category=category,
            publish=True)
        _rsvp(others[0], upcoming, plus_ones=1)
        _rsvp(others[1], upcoming, "interested")
    events["upcoming"] = upcoming

    online = Event.objects.filter(title=ONLINE_TITLE).first()
    if online is None:
        start = _at(5, 15, "UTC")
        online = event_create(
            actor=host, title=ONLINE_TITLE, starts_at=start, ends_at=start + timedelta(hours=1), time_zone="UTC",
            format="online", join_url="https://meet.example.com/demo-webinar", tags=["webinar", "onboarding"],
            body="A 45-minute tour of the forum, events and rewards, with time for questions.", publish=True)
        for member in others[2:5]:
            _rsvp(member, online)
    events["online"] = online

    full = Event.objects.filter(title=FULL_TITLE).first()
    if full is None:
        start = _at(7, 10, "Africa/Nairobi")
        full = event_create(
            actor=host, title=FULL_TITLE, starts_at=start, ends_at=start + timedelta(hours=4),
            time_zone="Africa/Nairobi", venue="Nairobi Garage", address="Ngong Road, Nairobi", capacity=3,
            tags=["workshop"], body="Bring a laptop. Seats are limited: join the waitlist if it is full.",
            publish=True)
        for member in others[:6]:
            _rsvp(member, full)  # 3 going, 3 on the waitlist
    events["full"] = full

    if not EventSeries.objects.filter(title=SERIES_TITLE).exists():
        start = _at(12, 16, "Europe/London")
        series_create(actor=host, frequency="monthly", count=4, title=SERIES_TITLE, starts_at=start,
                      ends_at=start + timedelta(hours=1), time_zone="Europe/London", format="online",
                      join_url="https://meet.example.com/office-hours", tags=["office-hours"],
                      body="Drop in with any question about the community.", publish=True)
    if stdout is not None:
        stdout.write(f"  events: {Event.objects.count()} events")
    return events
