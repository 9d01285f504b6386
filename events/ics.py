"""iCalendar files (RFC 5545) for one event and for a member's private feed, built with `icalendar`.

UID is stable (`event-<pk>@<host>`), SEQUENCE is the event's counter (bumped on every change), times carry
their TZID with a VTIMEZONE for it, a cancelled event says STATUS:CANCELLED, and the join link is included
only when the caller says the reader is a confirmed attendee.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlparse

import icalendar
from django.conf import settings
from django.utils import timezone

from community.markup import to_plain_text
from events.models import Event

PRODID = "-//Brand Community//Events//EN"


def event_uid(event: Event) -> str:
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    return f"event-{event.pk}@{host}"


def event_component(event: Event, *, join_url: str = "") -> icalendar.Event:
    tz = event.zoneinfo
    page = f"{settings.SITE_URL}{event.get_absolute_url()}"
    component = icalendar.Event()
    component.add("uid", event_uid(event))
    component.add("dtstamp", timezone.now())
    component.add("last-modified", event.updated_at)
    component.add("created", event.created_at)
    component.add("sequence", event.sequence)
    component.add("summary", event.title)
    component.add("dtstart", event.starts_at.astimezone(tz))
    component.add("dtend", event.ends_at.astimezone(tz))
    component.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    component.add("url", page)
    places = []
    if event.is_in_person:
        places = [part for part in (event.venue, event.address) if part]
    if join_url:
        places.append(join_url)
    elif event.is_online and not places:
        places.append("Online")
    if places:
        component.add("location", ", ".join(places))
    description = to_plain_text(event.body_html)
    extra = [page]
    if join_url:
        extra.insert(0, f"Join: {join_url}")
    component.add("description", "\n\n".join(part for part in (description, "\n".join(extra)) if part))
    return component


def calendar_bytes(entries: Iterable[tuple[Event, str]], *, name: str = "", method: str = "PUBLISH") -> bytes:
    """`entries`: (event, join_url or "") pairs."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    for event, join_url in entries:
        cal.add_component(event_component(event, join_url=join_url))
    cal.add_missing_timezones()
    return cal.to_ical()
