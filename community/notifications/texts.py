"""What a notification says, per kind, in the active language (list page, toast, email subject)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def actor_name(notification) -> str:
    return notification.actor.name if notification.actor_id and notification.actor else _("Someone")


def notification_text(notification) -> str:
    """One sentence in plain text; the caller escapes it for HTML."""
    kind = notification.kind
    data = notification.data or {}
    actor = actor_name(notification)
    title = notification.title or _("a post")
    others = notification.others_count
    if kind == "reply":
        return _("%(actor)s replied in “%(title)s”") % {"actor": actor, "title": title}
    if kind == "mention":
        return _("%(actor)s mentioned you in “%(title)s”") % {"actor": actor, "title": title}
    if kind == "quote":
        return _("%(actor)s quoted you in “%(title)s”") % {"actor": actor, "title": title}
    if kind == "reaction":
        if others:
            return ngettext(
                "%(actor)s and %(count)d other liked your post in “%(title)s”",
                "%(actor)s and %(count)d others liked your post in “%(title)s”",
                others,
            ) % {"actor": actor, "count": others, "title": title}
        return _("%(actor)s liked your post in “%(title)s”") % {"actor": actor, "title": title}
    if kind == "accepted":
        return _("%(actor)s accepted your answer in “%(title)s”") % {"actor": actor, "title": title}
    if kind == "moderation":
        message = data.get("message") or data.get("reason") or ""
        if notification.title and message:
            return _("A moderator acted on your post in “%(title)s”: %(message)s") % {
                "title": title, "message": message}
        if notification.title:
            return _("A moderator acted on your post in “%(title)s”") % {"title": title}
        if message:
            return _("A message from the moderators: %(message)s") % {"message": message}
        return _("A moderator acted on your account")
    if kind == "watching":
        return _("%(actor)s posted in “%(title)s”") % {"actor": actor, "title": title}
    if kind == "event":
        what = data.get("what") or data.get("change") or ""
        if what == "reminder":
            return _("Reminder: “%(title)s” is coming up") % {"title": title}
        if what == "cancelled":
            return _("“%(title)s” was cancelled") % {"title": title}
        if what == "promoted":
            return _("A seat opened up: you are going to “%(title)s”") % {"title": title}
        return _("“%(title)s” was updated") % {"title": title}
    if kind == "loyalty":
        event = data.get("event", "")
        if event == "badge" or (not event and data.get("badge")):
            return _("You earned the badge “%(badge)s”") % {"badge": data.get("name") or data.get("badge") or title}
        if event == "tier.up":
            return _("You reached the tier “%(tier)s”") % {"tier": data.get("tier") or title}
        if event == "tier.down":
            return _("Your tier is now “%(tier)s”") % {"tier": data.get("tier") or title}
        if event == "personal_message":
            return _("%(actor)s sent you a message: %(message)s") % {"actor": actor, "message": data.get("message", "")}
        return _("You earned a reward: “%(title)s”") % {"title": title}
    return _("%(actor)s: “%(title)s”") % {"actor": actor, "title": title}
