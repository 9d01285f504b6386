"""Who may listen to which stream. Pure reads, run by the consumer through database_sync_to_async.

The forum and events apps own their rules; this module only asks them:
- topic.<id>: `community.forum.selectors.topic_visible_to(user, topic_id)`;
- latest / category.<id>: `visible_category_ids(user)` (None = every category), kept on the subscription so
  that events about categories the member may not read are dropped;
- member.<id>: only the member themself;
- event.<id>: `events.permissions.can_see_event(user, event)`.
Anonymous sockets get what signed-out visitors may read, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from community.realtime import Stream


@dataclass(frozen=True)
class Access:
    allowed: bool
    #: list streams: ids of the categories whose events may be delivered; None means all of them.
    category_ids: frozenset[int] | None = None


DENIED = Access(False)


def _visible_category_ids(user) -> frozenset[int] | None:
    from community.forum.selectors import visible_category_ids

    ids = visible_category_ids(user)
    return None if ids is None else frozenset(ids)


def topic_visible(user, topic_id: int) -> bool:
    from community.forum.selectors import topic_visible_to

    return bool(topic_visible_to(user, topic_id))


def _event_visible(user, event_id: int) -> bool:
    from events.models import Event
    from events.permissions import can_see_event

    event = Event.objects.filter(pk=event_id).first()
    return event is not None and bool(can_see_event(user, event))


def stream_access(user, stream: Stream) -> Access:
    """May `user` (a member or AnonymousUser) receive events of `stream`?"""
    if stream.kind == "member":
        return Access(bool(user.is_authenticated and user.pk == stream.object_id))
    if stream.kind == "topic":
        return Access(topic_visible(user, stream.object_id))
    if stream.kind == "latest":
        return Access(True, _visible_category_ids(user))
    if stream.kind == "category":
        from community.forum.models import Category

        if not Category.objects.filter(pk=stream.object_id).exists():
            return DENIED
        ids = _visible_category_ids(user)
        if ids is not None and stream.object_id not in ids:
            return DENIED
        return Access(True, ids)
    if stream.kind == "event":
        return Access(_event_visible(user, stream.object_id))
    return DENIED


def fresh_member(user_id: int):
    """The member as stored now, or None when they may no longer be connected (deactivated, erased,
    suspended). A fresh object also drops per-request permission caches."""
    from accounts.models import User

    member = User.objects.active().filter(pk=user_id).first()
    if member is None or member.is_suspended():
        return None
    return member


def member_may_connect(user) -> bool:
    return bool(user.is_active and getattr(user, "deleted_at", None) is None and not user.is_suspended())


def recheck(user, streams: list[Stream]) -> tuple[object, dict[str, Access]] | None:
    """Access to each stream again, with the member reloaded; None when the member must be disconnected."""
    if user.is_authenticated:
        user = fresh_member(user.pk)
        if user is None:
            return None
    return user, {stream.name: stream_access(user, stream) for stream in streams}


def unread_notifications(user) -> int | None:
    """The member's unread count for the badge snapshot sent on (re)subscribe."""
    try:
        from community.notifications.selectors import unread_count
    except ImportError:
        return None
    return unread_count(member=user)
