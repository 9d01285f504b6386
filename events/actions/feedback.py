"""The after-event survey: NPS (0-10), satisfaction (1-5) and a comment, once per attendee."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from community.metrics.actions import record
from events.errors import AlreadyAnswered, EventError, EventPermissionDenied
from events.models import RSVP, Attendance, Event, EventFeedback, RSVPStatus


def may_give_feedback(*, member: User, event: Event, now=None) -> bool:
    """Confirmed attendees (not no-shows) of an event that has ended."""
    if not member.is_authenticated or event.ends_at > (now or timezone.now()):
        return False
    return RSVP.objects.filter(event=event, member=member, status=RSVPStatus.GOING).exclude(
        attendance=Attendance.NO_SHOW).exists()


def feedback_submit(*, member: User, event: Event, nps: int, satisfaction: int, comment: str = "") -> EventFeedback:
    if not may_give_feedback(member=member, event=event):
        raise EventPermissionDenied(_("Only attendees can answer the survey, after the event."))
    if not isinstance(nps, int) or not 0 <= nps <= 10:
        raise EventError(_("Choose a number from 0 to 10."))
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise EventError(_("Choose a satisfaction from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise EventError(_("The comment is too long (at most 4000 characters)."))
    try:
        with transaction.atomic():
            feedback = EventFeedback.objects.create(event=event, member=member, nps=nps, satisfaction=satisfaction,
                                                    comment=comment)
            record(member=member, kind="survey.answered", subject=feedback)
    except IntegrityError as exc:
        raise AlreadyAnswered() from exc
    return feedback
