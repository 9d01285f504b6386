"""The background entry points are thin and safe to run again."""

from datetime import timedelta

import pytest
from django.core import mail

from events import tasks
from events.actions import rsvp_set

pytestmark = pytest.mark.django_db


def test_send_due_reminders_task_twice(make_event, member, django_capture_on_commit_callbacks):
    event = make_event(starts_in=timedelta(hours=5))
    rsvp_set(member=member, event=event, status="going")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.send_due_reminders.enqueue()
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.send_due_reminders.enqueue()
    assert first.return_value == {"reminders": 1, "surveys": 0}
    assert second.return_value == {"reminders": 0, "surveys": 0}
    assert len(mail.outbox) == 1


def test_missing_rows_are_ignored():
    assert tasks.send_event_reminder.enqueue(delivery_id=999).return_value is False
    assert tasks.send_event_update.enqueue(rsvp_id=999, changed=["venue"]).return_value is False
    assert tasks.send_attendee_message.enqueue(message_id=999, rsvp_id=999).return_value is False
    assert tasks.send_feedback_survey.enqueue(rsvp_id=999).return_value is False
