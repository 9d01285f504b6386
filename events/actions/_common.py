"""Helpers shared by the event actions: counters, live seat events, notifications."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from community import realtime
from community.notifications.actions import notify
from events.models import RSVP, Event, RSVPStatus


def absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}"


def recount(event: Event) -> Event:
    """Recompute the seat counters from the RSVP rows. Call with the Event row locked."""
    totals = RSVP.objects.filter(event=event).aggregate(
        going=Count("pk", filter=Q(status=RSVPStatus.GOING)),
        seats=Coalesce(Sum("plus_ones", filter=Q(status=RSVPStatus.GOING)), 0),
        waitlisted=Count("pk", filter=Q(status=RSVPStatus.WAITLISTED)),
    )
    event.going_count = totals["going"]
    event.seats_taken = totals["going"] + totals["seats"]
    event.waitlist_count = totals["waitlisted"]
    Event.objects.filter(pk=event.pk).update(
        going_count=event.going_count, seats_taken=event.seats_taken, waitlist_count=event.waitlist_count
    )
    return event


def seats_payload(event: Event) -> dict:
    """The live event viewers of the event page receive. Never carries the join link."""
    return {
        "type": "events.seats",
        "op": "change",
        "event_id": event.pk,
        "seats_left": event.seats_left,
        "capacity": event.capacity,
        "going": event.going_count,
        "seats_taken": event.seats_taken,
        "waitlisted": event.waitlist_count,
        "status": event.status,
    }


def publish_seats(event: Event) -> None:
    realtime.publish_on_commit(realtime.event_stream(event.pk), seats_payload(event))


def tell(*, recipient, event: Event, actor=None, what: str, email_sent: bool = False) -> None:
    """In-app notification of kind "event". `email_sent`: this app already mailed the member about it."""
    notify(recipient=recipient, kind="event", actor=actor, target=event, url=event.get_absolute_url(),
           data={"change": what, "email_sent": email_sent})
