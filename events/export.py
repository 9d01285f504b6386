"""The events part of a member's data export and account erasure (called by accounts)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from events.models import RSVP, CalendarFeed, Event, EventFeedback, RSVPStatus


def member_data(user) -> dict:
    """Everything the events app holds about the member, as JSON-ready data."""
    rsvps = RSVP.objects.filter(member=user).select_related("event").order_by("created_at")
    feedback = EventFeedback.objects.filter(member=user).select_related("event").order_by("created_at")
    return {
        "rsvps": [
            {"event": rsvp.event.title, "event_id": rsvp.event_id, "starts_at": rsvp.event.starts_at.isoformat(),
             "status": rsvp.status, "guests": rsvp.plus_ones, "attendance": rsvp.attendance,
             "answered_at": rsvp.created_at.isoformat(),
             "checked_in_at": rsvp.checked_in_at.isoformat() if rsvp.checked_in_at else None}
            for rsvp in rsvps
        ],
        "feedback": [
            {"event": item.event.title, "event_id": item.event_id, "nps": item.nps,
             "satisfaction": item.satisfaction, "comment": item.comment, "created_at": item.created_at.isoformat()}
            for item in feedback
        ],
        "hosted_events": list(user.hosted_events.values_list("title", flat=True)),
        "calendar_feed": CalendarFeed.objects.filter(member=user).exists(),
    }


def member_erase(user) -> dict:
    """Erase the member from events: upcoming seats are given back (the waitlist moves up), past RSVPs
    and feedback scores stay as anonymous numbers for reports, comments and the calendar feed go."""
    from events.actions._common import publish_seats
    from events.actions.rsvp import promote_waitlisted

    now = timezone.now()
    upcoming_ids = list(RSVP.objects.filter(member=user, event__ends_at__gte=now).values_list("event_id", flat=True))
    for event_id in upcoming_ids:
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            rsvp = RSVP.objects.filter(member=user, event=event).first()
            if rsvp is None:
                continue
            held = rsvp.status in (RSVPStatus.GOING, RSVPStatus.WAITLISTED)
            rsvp.delete()
            if held:
                promote_waitlisted(event=event)
                publish_seats(event)
    comments = EventFeedback.objects.filter(member=user).update(comment="", member=None)
    feeds, _by_model = CalendarFeed.objects.filter(member=user).delete()
    for event in user.hosted_events.all():
        event.hosts.remove(user)
    return {"rsvps_removed": len(upcoming_ids), "feedback_anonymised": comments, "feeds_removed": feeds}
