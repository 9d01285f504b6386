"""Is a member online and reading right now? Used to hold back notification emails (like Discourse).

A member counts as online when either
- the live layer has set the cache key ``presence:member:<id>`` (``realtime.member_presence_key``; the live
  consumers set it while a websocket of that member is connected and refresh it on heartbeats, with a
  timeout of a few minutes), or
- ``User.last_seen_at`` (updated on requests, at most once a minute) is within ``ONLINE_WINDOW``.

Emails held back while the member is online are re-checked by ``manage.py send_pending_notification_emails``
(run it every few minutes from cron, or let the periodic task do it); a notification read in the meantime is
not emailed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

ONLINE_WINDOW = timedelta(minutes=5)


def presence_key(member_id: int) -> str:
    """The cache key the live layer sets (any truthy value) while the member has a socket open."""
    from community import realtime

    maker = getattr(realtime, "member_presence_key", None)
    return maker(member_id) if maker else f"presence:member:{member_id}"


def mark_present(member_id: int, *, timeout: int = int(ONLINE_WINDOW.total_seconds())) -> None:
    """Set the presence key (for the live layer and tests)."""
    cache.set(presence_key(member_id), 1, timeout)


def is_online(member, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if member.last_seen_at and member.last_seen_at >= now - ONLINE_WINDOW:
        return True
    return bool(cache.get(presence_key(member.pk)))
