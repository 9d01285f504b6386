"""Background entry points of notifications (thin django-tasks wrappers, enqueued on commit).

django-tasks has no scheduler of its own: `run_digests` and `send_pending_emails` are meant to be enqueued
periodically (every 15 minutes) by whatever the deployment uses, or replaced by the equivalent management
commands from cron: `manage.py send_digests` and `manage.py send_pending_notification_emails`.
"""

from __future__ import annotations

from django_tasks import task


@task(queue_name="email")
def send_notification_email(*, notification_id: int) -> str:
    from community.notifications.actions import notification_email_send

    return str(notification_email_send(notification_id=notification_id))


@task(queue_name="email")
def send_pending_emails() -> dict:
    from community.notifications.actions import pending_notification_emails_send

    return pending_notification_emails_send()


@task(queue_name="digests")
def run_digests() -> dict:
    """Send the digests that are due now (members whose local time is in the morning window)."""
    from community.notifications.digest import send_due_digests

    return send_due_digests()
