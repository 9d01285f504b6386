"""Writes of the notifications app.

CONTRACT (other apps call this, keep the signature): an action that should tell a member something calls,
inside its transaction,

    from community.notifications.actions import notify
    notify(recipient=user, kind="reply", actor=author, target=post, url=post.get_absolute_url())

`kind` is one of accounts.preferences.KINDS. The notifications app stores the in-app notification, collapses
similar ones, honours the member's preferences, and after commit sends email and the live badge update.
"""

from __future__ import annotations

from typing import Any


def notify(*, recipient, kind: str, actor=None, target: Any = None, url: str = "",
           data: dict | None = None) -> None:
    """Tell one member about something (placeholder until the notifications app lands)."""
    return None
