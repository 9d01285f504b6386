"""Background entry points (django-tasks): thin wrappers around events.actions, enqueued on commit."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="email")
def send_event_reminder(delivery_id: int) -> bool:
    from events.actions import reminder_deliver

    return reminder_deliver(delivery_id=delivery_id)


@task(queue_name="email")
def send_event_update(rsvp_id: int, changed: list[str]) -> bool:
    from events.actions import update_deliver

    return update_deliver(rsvp_id=rsvp_id, changed=changed)


@task(queue_name="email")
def send_attendee_message(message_id: int, rsvp_id: int) -> bool:
    from events.actions import message_deliver

    return message_deliver(message_id=message_id, rsvp_id=rsvp_id)


@task(queue_name="email")
def send_feedback_survey(rsvp_id: int) -> bool:
    from events.actions import survey_deliver

    return survey_deliver(rsvp_id=rsvp_id)


@task()
def send_due_reminders() -> dict:
    """Claim due reminders and surveys (what the `send_event_reminders` command runs)."""
    from events.actions import reminders_claim_due, surveys_claim_due

    return {"reminders": len(reminders_claim_due()), "surveys": len(surveys_claim_due())}
