"""Creating, editing, publishing, cancelling events and series; covers; discussion topics."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from events.actions import (
    event_cancel,
    event_create,
    event_publish,
    event_update,
    occurrence_starts,
    rsvp_set,
    series_create,
)
from events.errors import EventError
from events.models import Event

from .conftest import png_bytes

pytestmark = pytest.mark.django_db

RIGA = ZoneInfo("Europe/Riga")


def when(days=3):
    from django.utils import timezone

    start = timezone.now() + timedelta(days=days)
    return {"starts_at": start, "ends_at": start + timedelta(hours=1)}


def test_only_managers_create(member, manager):
    with pytest.raises(PermissionDenied):
        event_create(actor=member, title="Nope", **when())
    event = event_create(actor=manager, title="Yes", **when())
    assert event.status == "draft" and list(event.hosts.all()) == [manager]


def test_hosts_must_be_managers(manager, member):
    with pytest.raises(EventError):
        event_create(actor=manager, title="X", hosts=[member], **when())


def test_only_hosts_and_managers_edit(make_event, member, manager):
    event = make_event()
    with pytest.raises(PermissionDenied):
        event_update(actor=member, event=event, title="Hacked")
    with pytest.raises(PermissionDenied):
        event_cancel(actor=member, event=event)
    assert event_update(actor=manager, event=event, title="Better").title == "Better"


def test_body_goes_through_markup(manager):
    event = event_create(actor=manager, title="X", body="<script>alert(1)</script> **hi**", **when())
    assert "<script" not in event.body_html and "<strong>hi</strong>" in event.body_html


def test_dates_validated(manager):
    start = datetime(2030, 1, 1, 10, tzinfo=RIGA)
    with pytest.raises(EventError):
        event_create(actor=manager, title="X", starts_at=start, ends_at=start - timedelta(hours=1))
    with pytest.raises(EventError):
        event_create(actor=manager, title="X", starts_at=start.replace(tzinfo=None),
                     ends_at=start.replace(tzinfo=None) + timedelta(hours=1))
    with pytest.raises(EventError):
        event_create(actor=manager, title="X", starts_at=start, ends_at=start + timedelta(hours=1),
                     rsvp_deadline=start + timedelta(minutes=1))
    with pytest.raises(EventError):
        event_create(actor=manager, title="X", starts_at=start, ends_at=start, time_zone="Mars/Olympus")


def test_join_link_must_be_http(manager):
    with pytest.raises(EventError):
        event_create(actor=manager, title="X", format="online", join_url="javascript:alert(1)", **when())


def test_every_change_bumps_sequence(make_event, manager):
    event = make_event()
    sequences = [event.sequence]
    event = event_update(actor=manager, event=event, capacity=20)
    sequences.append(event.sequence)
    event = event_update(actor=manager, event=event, tags=["new"])
    sequences.append(event.sequence)
    event = event_cancel(actor=manager, event=event)
    sequences.append(event.sequence)
    assert sequences == sorted(set(sequences)) and len(sequences) == 4


def test_update_keeps_seat_counters(make_event, make_member, manager):
    event = make_event(capacity=3)
    stale = Event.objects.get(pk=event.pk)  # read before the RSVPs
    for _ in range(2):
        rsvp_set(member=make_member(), event=event, status="going")
    event_update(actor=manager, event=stale, title="Renamed")
    event.refresh_from_db()
    assert event.seats_taken == 2 and event.title == "Renamed"


def test_cancelled_event_cannot_be_published_or_edited(make_event, manager):
    event = event_cancel(actor=manager, event=make_event())
    with pytest.raises(EventError):
        event_publish(actor=manager, event=event)
    with pytest.raises(EventError):
        event_update(actor=manager, event=event, title="Back")


def test_cover_verified_with_pillow(manager):
    good = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    event = event_create(actor=manager, title="X", cover=good, **when())
    assert event.cover.name.endswith(".png") and "me.png" not in event.cover.name
    fake = SimpleUploadedFile("x.png", b"<?php echo 1; ?>" + b"0" * 100, content_type="image/png")
    with pytest.raises(EventError):
        event_create(actor=manager, title="Y", cover=fake, **when())
    truncated = SimpleUploadedFile("t.png", png_bytes()[:60], content_type="image/png")
    with pytest.raises(EventError):
        event_create(actor=manager, title="Z", cover=truncated, **when())
    assert Event.objects.count() == 1


def test_cover_size_limit(manager, settings):
    settings.EVENT_COVER_MAX_BYTES = 100
    with pytest.raises(EventError):
        event_create(actor=manager, title="X", cover=SimpleUploadedFile("c.png", png_bytes((400, 400))), **when())


def test_weekly_series_keeps_local_time_across_dst():
    starts = occurrence_starts(starts_at=datetime(2026, 3, 15, 19, 0, tzinfo=RIGA), time_zone="Europe/Riga",
                               frequency="weekly", count=3)
    local = [s.astimezone(RIGA) for s in starts]
    assert [(d.day, d.hour) for d in local] == [(15, 19), (22, 19), (29, 19)]
    assert [s.utcoffset() for s in starts] == [timedelta(0)] * 3
    assert (starts[2] - starts[1]) == timedelta(days=7, hours=-1)  # the DST week is an hour shorter


def test_monthly_series_clamps_the_day():
    starts = occurrence_starts(starts_at=datetime(2030, 1, 31, 18, 0, tzinfo=RIGA), time_zone="Europe/Riga",
                               frequency="monthly", count=3)
    assert [(s.astimezone(RIGA).month, s.astimezone(RIGA).day) for s in starts] == [(1, 31), (2, 28), (3, 31)]


def test_series_occurrences_have_their_own_rsvps(manager, member):
    start = datetime(2030, 1, 7, 17, 0, tzinfo=RIGA)
    series = series_create(actor=manager, frequency="weekly", count=3, title="Weekly", starts_at=start,
                           ends_at=start + timedelta(hours=1), time_zone="Europe/Riga", capacity=1,
                           rsvp_deadline=start - timedelta(hours=2), publish=True)
    occurrences = list(series.events.order_by("starts_at"))
    assert len(occurrences) == 3
    assert [o.starts_at - o.rsvp_deadline for o in occurrences] == [timedelta(hours=2)] * 3
    rsvp_set(member=member, event=occurrences[0], status="going")
    occurrences[1].refresh_from_db()
    assert occurrences[1].seats_taken == 0
    assert all(o.status == "published" for o in occurrences)


def test_series_limits(manager):
    with pytest.raises(EventError):
        series_create(actor=manager, frequency="weekly", count=100, title="Too many", **when())
    with pytest.raises(EventError):
        series_create(actor=manager, frequency="daily", count=2, title="Daily", **when())


def test_publishing_starts_the_discussion_topic_once(manager):
    from community.forum.models import Category, Topic

    category = Category.objects.create(name="Events", slug="events")
    event = event_create(actor=manager, title="Launch night", discussion_category=category, **when())
    assert event.discussion_topic_id is None  # drafts get no topic
    event = event_publish(actor=manager, event=event)
    event.refresh_from_db()
    topic = event.discussion_topic
    assert topic is not None and topic.category == category and topic.title == "Launch night"
    event_update(actor=manager, event=event, title="Launch night!")
    event_publish(actor=manager, event=event)
    assert Topic.objects.count() == 1


def test_cancel_notifies_everyone_who_answered(make_event, make_member, manager, notifications):
    event = make_event(capacity=1)
    going, waiting, interested, no = (make_member() for _ in range(4))
    rsvp_set(member=going, event=event, status="going")
    rsvp_set(member=waiting, event=event, status="going")
    rsvp_set(member=interested, event=event, status="interested")
    rsvp_set(member=no, event=event, status="not_going")
    notifications.clear()
    event_cancel(actor=manager, event=event)
    told = {n["recipient"] for n in notifications if n["data"]["change"] == "cancelled"}
    assert told == {going, waiting, interested}
    assert all(n["kind"] == "event" and n["url"] == event.get_absolute_url() for n in notifications)
