"""The .ics files: parse with icalendar, round-trip UID, SEQUENCE, time zone and STATUS."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from events.actions import event_cancel, event_update, rsvp_set
from events.ics import calendar_bytes, event_uid

pytestmark = pytest.mark.django_db

RIGA = ZoneInfo("Europe/Riga")


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def only_event(cal: icalendar.Calendar) -> icalendar.Event:
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_ics_round_trip_uid_sequence_tz_status(make_event, manager, client):
    start = datetime(2030, 3, 31, 18, 30, tzinfo=RIGA)
    event = make_event(starts_at=start, ends_at=datetime(2030, 3, 31, 20, 0, tzinfo=RIGA), time_zone="Europe/Riga",
                       venue="Old Town Hall", address="Rātslaukums 1, Rīga")
    response = client.get(f"/events/{event.pk}/event.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = parse(response.content)
    vevent = only_event(cal)
    assert str(vevent["UID"]) == f"event-{event.pk}@127.0.0.1"
    assert vevent["DTSTART"].params["TZID"] == "Europe/Riga"
    assert vevent.decoded("DTSTART") == start
    assert vevent.decoded("DTEND").astimezone(RIGA).hour == 20
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Riga"]
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert "Old Town Hall" in str(vevent["LOCATION"])
    first_sequence = int(vevent["SEQUENCE"])

    event_update(actor=manager, event=event, venue="New Venue")
    updated = only_event(parse(client.get(f"/events/{event.pk}/event.ics").content))
    assert str(updated["UID"]) == str(vevent["UID"])
    assert int(updated["SEQUENCE"]) == first_sequence + 1
    assert "New Venue" in str(updated["LOCATION"])

    event_cancel(actor=manager, event=event)
    cancelled = only_event(parse(client.get(f"/events/{event.pk}/event.ics").content))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == str(vevent["UID"])
    assert int(cancelled["SEQUENCE"]) == first_sequence + 2


def test_ics_bytes_reparse_identically(make_event):
    event = make_event(time_zone="America/New_York")
    data = calendar_bytes([(event, "")])
    again = parse(data).to_ical()
    assert parse(again).walk("VEVENT")[0]["UID"] == event_uid(event)
    assert only_event(parse(again)).decoded("DTSTART") == event.starts_at


def test_unchanged_save_does_not_bump_sequence(make_event, manager):
    event = make_event(title="Same", tags=["a", "b"])
    before = event.sequence
    event = event_update(actor=manager, event=event, title="Same", tags=["b", "a"])
    assert event.sequence == before


def test_join_link_in_ics_only_for_confirmed_attendee(online_event, make_member, login, client):
    link = online_event.join_url
    going, interested = make_member(), make_member()
    rsvp_set(member=going, event=online_event, status="going")
    rsvp_set(member=interested, event=online_event, status="interested")
    assert link in login(going).get(f"/events/{online_event.pk}/event.ics").content.decode()
    assert link not in login(interested).get(f"/events/{online_event.pk}/event.ics").content.decode()
    assert link not in client.get(f"/events/{online_event.pk}/event.ics").content.decode()


def test_draft_ics_is_hidden(make_event, client, login, member):
    draft = make_event(publish=False)
    assert client.get(f"/events/{draft.pk}/event.ics").status_code == 404
    assert login(member).get(f"/events/{draft.pk}/event.ics").status_code == 404
