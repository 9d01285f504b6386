"""`unread_notifications_count` for base.html's badge: one COUNT query, only when a template reads it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from django.http import HttpRequest


class UnreadCount:
    """Lazily counted once per request; prints "" when nothing is unread so the badge stays empty."""

    def __init__(self, compute: Callable[[], int]) -> None:
        self._compute = compute

    @cached_property
    def value(self) -> int:
        return self._compute()

    def __int__(self) -> int:
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __eq__(self, other: object) -> bool:
        return self.value == (other.value if isinstance(other, UnreadCount) else other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return str(self.value) if self.value else ""


def unread_count(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications_count": None}
    counter = getattr(request, "_unread_notifications_count", None)
    if counter is None:
        def compute() -> int:
            from community.notifications.selectors import unread_count as count

            return count(member=user)

        counter = request._unread_notifications_count = UnreadCount(compute)
    return {"unread_notifications_count": counter}
