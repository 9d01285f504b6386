"""The thin task wrappers and the context processor."""

from __future__ import annotations

from django.test import RequestFactory

from community.notifications import tasks
from community.notifications.context_processors import unread_count
from community.notifications.models import Notification


def test_run_digests_task_runs_the_scheduler(db):
    assert isinstance(tasks.run_digests.call(), dict)


def test_send_pending_emails_task(db):
    assert tasks.send_pending_emails.call() == {}


def test_unread_count_is_one_query_per_request_and_lazy(member, django_assert_num_queries):
    Notification.objects.create(recipient=member, kind="reply")
    Notification.objects.create(recipient=member, kind="reply", read_at="2026-01-01T00:00Z")
    request = RequestFactory().get("/")
    request.user = member
    with django_assert_num_queries(0):
        counter = unread_count(request)["unread_notifications_count"]
    with django_assert_num_queries(1):
        assert str(counter) == "1" and counter == 1 and bool(counter)
        assert unread_count(request)["unread_notifications_count"] == 1  # same request: cached


def test_unread_count_for_visitors(db):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert unread_count(request) == {"unread_notifications_count": None}
