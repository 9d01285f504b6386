"""What hosts do: message attendees, check people in at the door, record no-shows."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from community import markup
from community.metrics.actions import record, undo
from events.errors import EventError, EventPermissionDenied, refuse_line_breaks
from events.models import RSVP, Attendance, Event, EventMessage, RSVPStatus
from events.permissions import can_manage_event

AUDIENCES = {
    "going": [RSVPStatus.GOING],
    "waitlisted": [RSVPStatus.WAITLISTED],
    "all": [RSVPStatus.GOING, RSVPStatus.WAITLISTED, RSVPStatus.INTERESTED],
}


@transaction.atomic
def attendees_message(*, actor: User, event: Event, subject: str, body: str, audience: str = "going") -> EventMessage:
    """Email the event's attendees (one email each, sent by a task after commit)."""
    if not can_manage_event(actor, event):
        raise EventPermissionDenied()
    if audience not in AUDIENCES:
        raise EventError(_("Choose who receives the message."))
    subject = refuse_line_breaks(subject or "").strip()
    if not subject or not (body or "").strip():
        raise EventError(_("A message needs a subject and a text."))
    if len(subject) > 150:
        raise EventError(_("The subject is too long (at most 150 characters)."))
    try:
        body_html = markup.render_markdown(body)
    except markup.MarkupTooLong as exc:
        raise EventError(str(exc)) from exc
    recipients = list(RSVP.objects.filter(event=event, status__in=AUDIENCES[audience]).values_list("pk", flat=True))
    message = EventMessage.objects.create(event=event, sender=actor, subject=subject, body=body,
                                          body_html=body_html, audience=audience, recipients_count=len(recipients))
    from accounts.actions import audit
    from events import tasks

    audit(actor=actor, action="events.event.message", target=event, recipients=len(recipients))
    transaction.on_commit(lambda: [tasks.send_attendee_message.enqueue(message_id=message.pk, rsvp_id=pk)
                                   for pk in recipients])
    return message


@transaction.atomic
def checkin_mark(*, actor: User, rsvp: RSVP, attended: bool = True) -> RSVP:
    """Mark a confirmed attendee as arrived (or undo a mistaken check-in)."""
    if not can_manage_event(actor, rsvp.event):
        raise EventPermissionDenied()
    rsvp = RSVP.objects.select_for_update().select_related("event", "member").get(pk=rsvp.pk)
    if rsvp.status != RSVPStatus.GOING:
        raise EventError(_("Only confirmed attendees can be checked in."))
    now = timezone.now()
    if attended and rsvp.attendance != Attendance.ATTENDED:
        rsvp.attendance = Attendance.ATTENDED
        rsvp.checked_in_at = now
        rsvp.checked_in_by = actor
        rsvp.updated_at = now
        rsvp.save(update_fields=["attendance", "checked_in_at", "checked_in_by", "updated_at"])
        record(member=rsvp.member, kind="event.attended", subject=rsvp)
    elif not attended and rsvp.attendance == Attendance.ATTENDED:
        rsvp.attendance = Attendance.NO_SHOW if rsvp.event.attendance_closed_at else Attendance.UNKNOWN
        rsvp.checked_in_at = None
        rsvp.checked_in_by = None
        rsvp.updated_at = now
        rsvp.save(update_fields=["attendance", "checked_in_at", "checked_in_by", "updated_at"])
        undo(member=rsvp.member, kind="event.attended", subject=rsvp)
    return rsvp


@transaction.atomic
def attendance_close(*, event: Event, actor: User | None = None, now=None) -> int:
    """After the event: confirmed attendees who were not checked in become no-shows. Runs once per event.

    Only when the hosts used check-in (at least one attendee checked in); otherwise nobody is a no-show.
    Returns the number of no-shows recorded.
    """
    if actor is not None and not can_manage_event(actor, event):
        raise EventPermissionDenied()
    now = now or timezone.now()
    if event.ends_at > now:
        raise EventError(_("No-shows are recorded after the event."))
    claimed = Event.objects.filter(pk=event.pk, attendance_closed_at__isnull=True).update(attendance_closed_at=now)
    if not claimed:
        return 0
    going = RSVP.objects.filter(event=event, status=RSVPStatus.GOING)
    if not going.filter(attendance=Attendance.ATTENDED).exists():
        return 0
    return going.filter(attendance=Attendance.UNKNOWN).update(attendance=Attendance.NO_SHOW, updated_at=now)
