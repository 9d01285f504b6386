"""Member data export and erasure."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from events.actions import feed_regenerate, feedback_submit, rsvp_set
from events.export import member_data, member_erase
from events.models import RSVP, CalendarFeed, Event, EventFeedback

pytestmark = pytest.mark.django_db


def test_member_data_and_erase(make_event, make_member):
    member = make_member()
    upcoming = make_event(capacity=1)
    waiting = make_member()
    rsvp_set(member=member, event=upcoming, status="going")
    rsvp_set(member=waiting, event=upcoming, status="going")
    past = make_event()
    rsvp_set(member=member, event=past, status="going")
    Event.objects.filter(pk=past.pk).update(starts_at=timezone.now() - timedelta(hours=3),
                                            ends_at=timezone.now() - timedelta(hours=1))
    past.refresh_from_db()
    feedback_submit(member=member, event=past, nps=8, satisfaction=4, comment="Nice, my name is Ann")
    feed_regenerate(member=member)

    data = member_data(member)
    json.dumps(data)
    assert {r["event_id"] for r in data["rsvps"]} == {upcoming.pk, past.pk}
    assert data["feedback"][0]["comment"] == "Nice, my name is Ann"
    assert data["calendar_feed"] is True

    result = member_erase(member)
    assert result["rsvps_removed"] == 1
    assert not RSVP.objects.filter(member=member, event=upcoming).exists()
    assert RSVP.objects.get(member=waiting).status == "going"  # the seat went to the waitlist
    feedback = EventFeedback.objects.get()
    assert feedback.member is None and feedback.comment == "" and feedback.nps == 8  # kept for reports
    assert not CalendarFeed.objects.filter(member=member).exists()
