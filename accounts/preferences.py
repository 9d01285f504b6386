"""Notification kinds a member can tune, with their defaults.

Every app that notifies registers its kinds here, so that the preferences page lists them all in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Delivery


@dataclass(frozen=True)
class Kind:
    key: str
    label: Promise
    default: str


KINDS: list[Kind] = [
    Kind("reply", _("Replies to my topics and posts"), Delivery.EMAIL),
    Kind("mention", _("Mentions of me"), Delivery.EMAIL),
    Kind("quote", _("Quotes of my posts"), Delivery.EMAIL),
    Kind("reaction", _("Reactions to my posts"), Delivery.IN_APP),
    Kind("accepted", _("My answer accepted"), Delivery.EMAIL),
    Kind("moderation", _("Moderator actions on my content"), Delivery.EMAIL),
    Kind("watching", _("New posts in topics and categories I watch"), Delivery.DIGEST),
    Kind("event", _("Event reminders and changes"), Delivery.EMAIL),
    Kind("loyalty", _("Badges, tiers and rewards"), Delivery.IN_APP),
    Kind("message", _("Personal messages from the community team"), Delivery.EMAIL),
]
KIND_BY_KEY = {kind.key: kind for kind in KINDS}


def delivery_for(user, kind: str) -> str:
    """The member's choice for one kind, or its default. Uses prefetched preferences when present."""
    prefs = getattr(user, "_prefetched_objects_cache", {}).get("notification_preferences")
    if prefs is None:
        prefs = user.notification_preferences.all()
    for pref in prefs:
        if pref.kind == kind:
            return pref.delivery
    return KIND_BY_KEY[kind].default if kind in KIND_BY_KEY else Delivery.IN_APP
