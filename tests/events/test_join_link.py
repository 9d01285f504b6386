"""The online join link never reaches anyone who is not a confirmed attendee: pages, .ics files, calendar
feeds, emails and live events."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from events.actions import (
    attendees_message,
    event_cancel,
    event_update,
    feed_regenerate,
    reminders_claim_due,
    rsvp_cancel,
    rsvp_set,
)
from events.models import RSVP, Event

pytestmark = pytest.mark.django_db

LINK = "https://meet.example.com/secret-room-42"


@pytest.fixture
def cast(online_event, make_member):
    """A confirmed attendee, and everyone who must not see the link."""
    Event.objects.filter(pk=online_event.pk).update(capacity=1)
    people = {name: make_member(display_name=name) for name in
              ("going", "waitlisted", "interested", "not_going", "stranger")}
    rsvp_set(member=people["going"], event=online_event, status="going")
    rsvp_set(member=people["waitlisted"], event=online_event, status="going")
    rsvp_set(member=people["interested"], event=online_event, status="interested")
    rsvp_set(member=people["not_going"], event=online_event, status="not_going")
    assert RSVP.objects.get(member=people["waitlisted"]).status == "waitlisted"
    return people


def others(cast):
    return [cast[name] for name in ("waitlisted", "interested", "not_going", "stranger")]


def test_pages(online_event, cast, login, client):
    urls = [online_event.get_absolute_url(), "/events/", "/events/?format=online",
            f"/events/calendar/{online_event.starts_at.year}/{online_event.starts_at.month}/"]
    for url in urls:
        assert LINK not in client.get(url).content.decode(), url
        for person in others(cast):
            assert LINK not in login(person).get(url).content.decode(), (url, person)
    assert LINK in login(cast["going"]).get(online_event.get_absolute_url()).content.decode()
    # the RSVP panel returned to htmx after answering
    late = others(cast)[-1]
    response = login(late).post(f"/events/{online_event.pk}/rsvp/", {"status": "going"}, HTTP_HX_REQUEST="true")
    assert RSVP.objects.get(member=late).status == "waitlisted"
    assert LINK not in response.content.decode()


def test_ics_and_feeds(online_event, cast, login, client):
    url = f"/events/{online_event.pk}/event.ics"
    assert LINK not in client.get(url).content.decode()
    for person in others(cast):
        assert LINK not in login(person).get(url).content.decode()
        feed = feed_regenerate(member=person)
        assert LINK not in client.get(feed.get_absolute_url()).content.decode()
    assert LINK in login(cast["going"]).get(url).content.decode()
    going_feed = feed_regenerate(member=cast["going"])
    assert LINK in client.get(going_feed.get_absolute_url()).content.decode()


def test_emails(online_event, cast, manager, django_capture_on_commit_callbacks):
    Event.objects.filter(pk=online_event.pk).update(starts_at=timezone.now() + timedelta(minutes=50),
                                                    ends_at=timezone.now() + timedelta(hours=2))
    online_event.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_claim_due()
        event_update(actor=manager, event=online_event, title="Webinar (moved)",
                     starts_at=online_event.starts_at + timedelta(minutes=5),
                     ends_at=online_event.ends_at + timedelta(minutes=5))
        attendees_message(actor=manager, event=online_event, subject="Hello", body="See you", audience="all")
    assert mail.outbox
    for message in mail.outbox:
        content = message.body + "".join(alt[0] for alt in message.alternatives) + message.subject
        if message.to == [cast["going"].email]:
            continue
        assert LINK not in content, message.to
    going_mail = [m for m in mail.outbox if m.to == [cast["going"].email]]
    assert any(LINK in m.body for m in going_mail)  # the reminder and the update carry it for them


def test_live_events(online_event, cast, manager, make_member, live_events):
    rsvp_set(member=make_member(), event=online_event, status="going")
    rsvp_cancel(member=cast["going"], event=online_event)  # promotes the waitlisted member
    event_update(actor=manager, event=online_event, capacity=5, join_url=LINK + "-2")
    event_cancel(actor=manager, event=online_event)
    assert live_events
    for stream, payload in live_events:
        text = json.dumps(payload)
        assert "meet.example.com" not in text and "join" not in text


def test_hosts_see_the_link_on_the_event_page_without_answering(online_event, cast, login, manager):
    assert LINK in login(manager).get(online_event.get_absolute_url()).content.decode()
    assert LINK not in login(cast["interested"]).get(online_event.get_absolute_url()).content.decode()
