"""Background entry points of the content app (thin django-tasks wrappers, queue "newsletters").

`newsletter_send` prepares the delivery rows (idempotent) and sends NEWSLETTER_BATCHES_PER_TASK batches, then
enqueues itself again while work remains, so a long send is a chain of bounded tasks. Running it twice, or two
copies at once, is safe: rows are claimed atomically (community.content.sending).
django-tasks has no scheduler: `manage.py newsletters_tick` (or the `newsletters_tick` task) runs from cron every
minute to start scheduled issues, resume sends whose task was lost and sweep rows left by a dead worker.
"""

from __future__ import annotations

from django.conf import settings
from django_tasks import task


@task(queue_name="newsletters")
def newsletter_send(issue_id: int) -> dict:
    from community.content import sending
    from community.content.models import IssueStatus, NewsletterIssue

    issue = NewsletterIssue.objects.select_related("segment").filter(pk=issue_id).first()
    if issue is None or issue.status != IssueStatus.SENDING:
        return {"stopped": getattr(issue, "status", "deleted")}
    sending.deliveries_prepare(issue)
    result = sending.deliver(issue_id, max_batches=int(getattr(settings, "NEWSLETTER_BATCHES_PER_TASK", 20)))
    if result.stopped == "batch_limit":
        newsletter_send.enqueue(issue_id)
    return {"sent": result.sent, "skipped": result.skipped, "failed": result.failed, "stopped": result.stopped}


@task(queue_name="newsletters")
def newsletters_tick() -> dict:
    from community.content.actions import newsletters_tick as tick

    return tick()


@task(queue_name="email")
def subscriber_confirmation_send(subscriber_id: int) -> bool:
    from community.content.actions.subscribers import subscriber_confirmation_email

    return subscriber_confirmation_email(subscriber_id=subscriber_id)
