"""Reminders, update emails, host messages and feedback surveys: found by the periodic command, claimed
once, then delivered one by one by tasks (events.tasks) after commit."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.actions._common import absolute, tell
from events.actions.hosting import attendance_close
from events.emails import join_link_for, send_member_email, wants_email
from events.models import RSVP, Attendance, Event, EventMessage, ReminderDelivery, RSVPStatus, Status

DEFAULT_REMINDER_OFFSETS = (timedelta(hours=24), timedelta(hours=1))


def reminder_offsets() -> list[int]:
    """EVENT_REMINDER_OFFSETS in whole minutes, closest first."""
    offsets = getattr(settings, "EVENT_REMINDER_OFFSETS", DEFAULT_REMINDER_OFFSETS)
    minutes = {int(o.total_seconds() // 60) if isinstance(o, timedelta) else int(o) for o in offsets}
    return sorted(m for m in minutes if m > 0)


def reminders_claim_due(*, now=None) -> list[int]:
    """Claim every reminder now due (one ReminderDelivery row per RSVP and offset) and queue its delivery.

    Claiming is an INSERT guarded by unique(rsvp, offset): whatever runs twice or at the same time, each
    reminder is claimed once. When several offsets are due at once (late RSVP), only the closest is sent.
    Returns the ids of the deliveries queued.
    """
    now = now or timezone.now()
    offsets = reminder_offsets()
    if not offsets:
        return []
    rsvps = (RSVP.objects.filter(status=RSVPStatus.GOING, event__status=Status.PUBLISHED,
                                 event__starts_at__gt=now,
                                 event__starts_at__lte=now + timedelta(minutes=max(offsets)))
             .select_related("event"))
    queued: list[int] = []
    for rsvp in rsvps:
        due = [o for o in offsets if rsvp.event.starts_at - timedelta(minutes=o) <= now]
        if not due:
            continue
        closest = min(due)
        for offset in due:
            try:
                with transaction.atomic():
                    delivery = ReminderDelivery.objects.create(rsvp=rsvp, offset_minutes=offset, claimed_at=now,
                                                               skipped=offset != closest)
            except IntegrityError:
                continue  # claimed by an earlier (or concurrent) run
            if offset == closest:
                queued.append(delivery.pk)
    from events import tasks

    transaction.on_commit(lambda: [tasks.send_event_reminder.enqueue(delivery_id=pk) for pk in queued])
    return queued


def reminder_deliver(*, delivery_id: int) -> bool:
    """Send one claimed reminder: email (with the join link for the confirmed attendee) and in-app."""
    delivery = (ReminderDelivery.objects.select_related("rsvp__event", "rsvp__member").filter(pk=delivery_id)
                .first())
    if delivery is None or delivery.sent_at or delivery.skipped:
        return False
    rsvp, event = delivery.rsvp, delivery.rsvp.event
    if rsvp.status != RSVPStatus.GOING or event.status != Status.PUBLISHED or event.starts_at <= timezone.now():
        return False
    # Claim the sending itself too: two workers running the same task send one email.
    if not ReminderDelivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).update(sent_at=timezone.now()):
        return False
    member = rsvp.member
    emailed = wants_email(member)
    try:
        if emailed:
            send_member_email(
                member=member, template="reminder", subject=_("Reminder: %(title)s"),
                subject_params={"title": event.title},
                context={"event": event, "rsvp": rsvp, "join_url": join_link_for(rsvp),
                         "event_url": absolute(event.get_absolute_url()),
                         "ics_url": absolute(reverse("events:ics", kwargs={"pk": event.pk}))},
            )
    except Exception:
        ReminderDelivery.objects.filter(pk=delivery.pk).update(sent_at=None)  # a retry may send it
        raise
    tell(recipient=member, event=event, what="reminder", email_sent=emailed)
    return True


def update_deliver(*, rsvp_id: int, changed: list[str]) -> bool:
    """Tell a confirmed or waitlisted member that the time, place or link changed."""
    rsvp = RSVP.objects.select_related("event", "member").filter(pk=rsvp_id).first()
    if rsvp is None or rsvp.status not in (RSVPStatus.GOING, RSVPStatus.WAITLISTED):
        return False
    if rsvp.event.status != Status.PUBLISHED or not wants_email(rsvp.member):
        return False
    event = rsvp.event
    return send_member_email(
        member=rsvp.member, template="update", subject=_("Changed: %(title)s"), subject_params={"title": event.title},
        context={"event": event, "rsvp": rsvp, "changed": set(changed), "join_url": join_link_for(rsvp),
                 "event_url": absolute(event.get_absolute_url()),
                 "ics_url": absolute(reverse("events:ics", kwargs={"pk": event.pk}))},
    )


def message_deliver(*, message_id: int, rsvp_id: int) -> bool:
    message = EventMessage.objects.select_related("event", "sender").filter(pk=message_id).first()
    rsvp = RSVP.objects.select_related("member").filter(pk=rsvp_id, event_id=getattr(message, "event_id", None)).first()
    if message is None or rsvp is None or not rsvp.member.is_active or not rsvp.member.email:
        return False
    event = message.event
    return send_member_email(
        member=rsvp.member, template="message", subject="%(title)s: %(subject)s",
        subject_params={"title": event.title, "subject": message.subject},
        context={"event": event, "message": message, "event_url": absolute(event.get_absolute_url())},
    )


def survey_recipients(event: Event):
    """Attendees: those checked in, or, when the hosts did not use check-in, everyone confirmed."""
    going = RSVP.objects.filter(event=event, status=RSVPStatus.GOING)
    if going.filter(attendance=Attendance.ATTENDED).exists():
        return going.filter(attendance=Attendance.ATTENDED)
    return going.exclude(attendance=Attendance.NO_SHOW)


def surveys_claim_due(*, now=None) -> list[int]:
    """After an event ends: record no-shows, then claim and queue one survey email per attendee."""
    now = now or timezone.now()
    delay = getattr(settings, "EVENT_SURVEY_DELAY", timedelta(hours=1))
    window = getattr(settings, "EVENT_SURVEY_WINDOW", timedelta(days=7))
    events = Event.objects.filter(status=Status.PUBLISHED, ends_at__lte=now - delay, ends_at__gte=now - window,
                                  feedback_requested_at__isnull=True)
    queued: list[int] = []
    for event in events:
        attendance_close(event=event, now=now)
        if not Event.objects.filter(pk=event.pk, feedback_requested_at__isnull=True).update(
                feedback_requested_at=now):
            continue
        for rsvp_id in list(survey_recipients(event).values_list("pk", flat=True)):
            if RSVP.objects.filter(pk=rsvp_id, survey_sent_at__isnull=True).update(survey_sent_at=now):
                queued.append(rsvp_id)
    from events import tasks

    transaction.on_commit(lambda: [tasks.send_feedback_survey.enqueue(rsvp_id=pk) for pk in queued])
    return queued


def survey_deliver(*, rsvp_id: int) -> bool:
    rsvp = RSVP.objects.select_related("event", "member").filter(pk=rsvp_id).first()
    if rsvp is None or not wants_email(rsvp.member):
        return False
    event = rsvp.event
    if event.feedback.filter(member=rsvp.member).exists():
        return False

    return send_member_email(
        member=rsvp.member, template="survey", subject=_("How was %(title)s?"), subject_params={"title": event.title},
        context={"event": event, "survey_url": absolute(reverse("events:feedback", kwargs={"pk": event.pk}))},
    )
