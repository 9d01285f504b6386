"""The private per-member calendar feed: secret token, lists all RSVPs, revocable and regenerable."""

from __future__ import annotations

import icalendar
import pytest

from events.actions import feed_regenerate, feed_revoke, rsvp_set
from events.models import CalendarFeed

pytestmark = pytest.mark.django_db


def test_feed_lists_member_rsvps(make_event, member, client):
    going = make_event(title="Going one")
    interested = make_event(title="Maybe one")
    declined = make_event(title="Nope one")
    make_event(title="Unrelated one")
    rsvp_set(member=member, event=going, status="going")
    rsvp_set(member=member, event=interested, status="interested")
    rsvp_set(member=member, event=declined, status="not_going")
    feed = feed_regenerate(member=member)

    response = client.get(f"/events/feed/{feed.token}.ics")
    assert response.status_code == 200
    cal = icalendar.Calendar.from_ical(response.content)
    assert sorted(str(e["SUMMARY"]) for e in cal.walk("VEVENT")) == ["Going one", "Maybe one"]
    assert "X-WR-CALNAME" in cal


def test_regenerate_revokes_old_url_and_revoke_kills_it(member, client, login):
    old = feed_regenerate(member=member).token
    new = feed_regenerate(member=member).token
    assert old != new and len(new) >= 40
    assert client.get(f"/events/feed/{old}.ics").status_code == 404
    assert client.get(f"/events/feed/{new}.ics").status_code == 200
    assert feed_revoke(member=member) is True
    assert client.get(f"/events/feed/{new}.ics").status_code == 404
    assert not CalendarFeed.objects.filter(member=member).exists()


def test_feed_settings_page(member, login):
    browser = login(member)
    assert browser.get("/events/feed/").status_code == 200
    browser.post("/events/feed/", {"op": "regenerate"})
    token = CalendarFeed.objects.get(member=member).token
    page = browser.get("/events/feed/").content.decode()
    assert f"/events/feed/{token}.ics" in page and "webcal://" in page
    browser.post("/events/feed/", {"op": "revoke"})
    assert not CalendarFeed.objects.filter(member=member).exists()


def test_suspended_members_feed_stops(member, client):
    from datetime import timedelta

    from django.utils import timezone

    token = feed_regenerate(member=member).token
    member.suspended_until = timezone.now() + timedelta(days=1)
    member.save()
    assert client.get(f"/events/feed/{token}.ics").status_code == 404


def test_feed_hides_events_no_longer_visible(make_event, moderator, client):
    from django.contrib.auth.models import Group

    event = make_event(visibility="roles", roles=[Group.objects.get(name="Moderator")], title="Mods meetup")
    rsvp_set(member=moderator, event=event, status="going")
    token = feed_regenerate(member=moderator).token
    assert b"Mods meetup" in client.get(f"/events/feed/{token}.ics").content
    moderator.groups.clear()
    assert b"Mods meetup" not in client.get(f"/events/feed/{token}.ics").content


def test_feed_query_count_constant(make_event, member, client, django_assert_max_num_queries):
    token = feed_regenerate(member=member).token
    counts = []
    for n in (2, 20):
        while member.event_rsvps.count() < n:
            rsvp_set(member=member, event=make_event(), status="going")
        with django_assert_max_num_queries(10) as captured:
            assert client.get(f"/events/feed/{token}.ics").status_code == 200
        counts.append(sum(1 for q in captured.captured_queries if "events_" in q["sql"]))
    assert counts[0] == counts[1]
