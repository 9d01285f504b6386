"""Every write of the events app (grep-able names: event_create, rsvp_set, rsvp_cancel, checkin_mark...)."""

from events.actions.calendar import feed_get_or_create, feed_regenerate, feed_revoke
from events.actions.deliveries import (
    message_deliver,
    reminder_deliver,
    reminders_claim_due,
    survey_deliver,
    surveys_claim_due,
    update_deliver,
)
from events.actions.feedback import feedback_submit, may_give_feedback
from events.actions.hosting import attendance_close, attendees_message, checkin_mark
from events.actions.manage import (
    event_cancel,
    event_create,
    event_publish,
    event_update,
    occurrence_starts,
    series_create,
)
from events.actions.rsvp import promote_waitlisted, rsvp_cancel, rsvp_set
from events.actions.series import series_update_following

__all__ = [
    "attendance_close", "attendees_message", "checkin_mark", "event_cancel", "event_create", "event_publish",
    "event_update", "feed_get_or_create", "feed_regenerate", "feed_revoke", "feedback_submit",
    "may_give_feedback", "message_deliver", "occurrence_starts", "promote_waitlisted", "reminder_deliver",
    "reminders_claim_due", "rsvp_cancel", "rsvp_set", "series_create", "series_update_following", "survey_deliver",
    "surveys_claim_due",
    "update_deliver",
]
