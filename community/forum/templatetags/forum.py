"""Small template helpers of the forum (no queries)."""

from __future__ import annotations

from django import template

from community.forum.models import REACTION_EMOJI, ReactionKind

register = template.Library()


@register.simple_tag
def reaction_kinds() -> list[tuple[str, str, str]]:
    """(kind, emoji, label) for every reaction, in display order."""
    return [(kind, REACTION_EMOJI[kind], label) for kind, label in ReactionKind.choices]


@register.filter
def get_item(mapping, key):
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def reaction_count(post, kind: str) -> int:
    return (post.reaction_counts or {}).get(kind, 0)


@register.filter
def unread_from(topic) -> int | None:
    """The first unread post number of a listed topic (annotated `last_read`), or None."""
    last_read = getattr(topic, "last_read", None)
    if last_read is None or last_read >= topic.last_post_number:
        return None
    return last_read + 1
