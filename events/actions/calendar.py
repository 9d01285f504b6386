"""The member's private calendar feed URL: created on demand, regenerated (old URL dies) or revoked."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from events.models import CalendarFeed, new_feed_token


def feed_get_or_create(*, member: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(member=member)
    return feed


@transaction.atomic
def feed_regenerate(*, member: User) -> CalendarFeed:
    """A new secret URL; the previous one stops working at once."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(member=member)
    if not created:
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed


def feed_revoke(*, member: User) -> bool:
    deleted, _by_model = CalendarFeed.objects.filter(member=member).delete()
    return bool(deleted)
