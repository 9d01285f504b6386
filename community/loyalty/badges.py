"""Badge definitions as code. A badge's criteria read the member's totals from metrics.DailyActivity.

Add a badge by adding a `Badge` to BADGES; `triggers` are the participation kinds after which it is checked.
The award itself (BadgeAward, unique per member and badge) happens in community.loyalty.actions.badges_check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

HELPFUL_ACCEPTED = 10
HELPFUL_REACTIONS = 50


@dataclass(frozen=True)
class Totals:
    """A member's lifetime counts, summed from DailyActivity."""

    topics: int = 0
    replies: int = 0
    reactions_received: int = 0
    answers_accepted: int = 0
    attended: int = 0
    active_days: int = 0


@dataclass(frozen=True)
class Badge:
    slug: str
    name: Promise
    description: Promise
    icon: str
    triggers: frozenset[str]
    earned: Callable[[object, Totals], bool] = field(compare=False)


def _anniversary(member, totals: Totals) -> bool:
    return member.date_joined <= timezone.now() - timedelta(days=365)


BADGE_LIST: list[Badge] = [
    Badge("first-post", _("First post"), _("Started a topic or wrote a reply."), "\u270d",
          frozenset({"topic.created", "post.replied"}), lambda m, t: t.topics + t.replies >= 1),
    Badge("first-accepted-answer", _("First accepted answer"), _("One of your answers was accepted."), "\u2714",
          frozenset({"answer.accepted"}), lambda m, t: t.answers_accepted >= 1),
    Badge("ten-events", _("Ten events"), _("Attended ten events."), "\U0001f3ab",
          frozenset({"event.attended"}), lambda m, t: t.attended >= 10),
    Badge("anniversary", _("Anniversary"), _("A member for a year or more."), "\U0001f382",
          frozenset({"visit.day"}), _anniversary),
    Badge("helpful-author", _("Helpful author"),
          _("Ten accepted answers or fifty reactions received."), "\U0001f31f",
          frozenset({"answer.accepted", "reaction.received"}),
          lambda m, t: t.answers_accepted >= HELPFUL_ACCEPTED or t.reactions_received >= HELPFUL_REACTIONS),
    Badge("regular", _("Regular"), _("Active on thirty different days."), "\U0001f4c5",
          frozenset({"visit.day"}), lambda m, t: t.active_days >= 30),
]
BADGES: dict[str, Badge] = {badge.slug: badge for badge in BADGE_LIST}


def badges_triggered_by(kind: str) -> list[Badge]:
    return [badge for badge in BADGE_LIST if kind in badge.triggers]
