"""Who may do what with events: one place for the rules, used by actions, selectors and views."""

from __future__ import annotations

from django.http import Http404

from accounts.roles import MANAGE_EVENTS


def is_manager(user) -> bool:
    """Community managers (permission accounts.manage_events) and staff manage every event."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_staff or user.has_perm(MANAGE_EVENTS)))


def can_manage_event(user, event) -> bool:
    """Edit, message attendees, export, check in: the event's hosts and community managers."""
    return is_manager(user)


def can_see_event(user, event) -> bool:
    from events.models import Status, Visibility

    if is_manager(user):
        return True
    if event.status == Status.DRAFT:
        return False
    if event.visibility == Visibility.PUBLIC:
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if event.visibility == Visibility.MEMBERS:
        return True
    role_ids = {group.pk for group in event.roles.all()}
    if set(member_group_ids(user)) & role_ids:
        return True
    return any(host.pk == user.pk for host in event.hosts.all())


def member_group_ids(user) -> list[int]:
    """The member's group ids, read once per request (cached on the user object)."""
    cached = getattr(user, "_events_group_ids", None)
    if cached is None:
        cached = list(user.groups.values_list("pk", flat=True))
        user._events_group_ids = cached
    return cached


def ensure_visible(user, event) -> None:
    """404, never 403: an invisible event must not reveal that it exists."""
    if not can_see_event(user, event):
        raise Http404


def participation_refusal(user) -> str | None:
    """Why the member may not RSVP now (not verified, suspended, silenced...), or None: accounts' one rule."""
    from accounts.selectors import participation_refusal as accounts_refusal

    return accounts_refusal(user)


def can_participate(user) -> bool:
    return participation_refusal(user) is None
