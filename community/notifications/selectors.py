"""Reads of notifications."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db import connection

from community.notifications.models import Notification

PAGE_SIZE = 30


def notifications_page(*, member, page: int | str | None = 1, unread_only: bool = False) -> Page:
    """One page of the member's notifications, newest activity first, with their actors (constant queries)."""
    qs = Notification.objects.filter(recipient=member).select_related("actor")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return Paginator(qs.order_by("-updated_at", "-pk"), PAGE_SIZE).get_page(page)


def unread_count(*, member) -> int:
    """The badge on every page a member opens: raw SQL, since building the ORM query cost more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {Notification._meta.db_table} "
                       f"WHERE recipient_id = %s AND read_at IS NULL", [member.pk])
        return cursor.fetchone()[0]
