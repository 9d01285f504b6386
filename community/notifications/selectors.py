"""Reads of notifications."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from community.notifications.models import Notification

PAGE_SIZE = 30


def notifications_page(*, member, page: int | str | None = 1, unread_only: bool = False) -> Page:
    """One page of the member's notifications, newest activity first, with their actors (constant queries)."""
    qs = Notification.objects.filter(recipient=member).select_related("actor")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return Paginator(qs.order_by("-updated_at", "-pk"), PAGE_SIZE).get_page(page)


def unread_count(*, member) -> int:
    return Notification.objects.filter(recipient=member, read_at__isnull=True).count()
