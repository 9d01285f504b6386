"""Every write of the forum. Views call exactly one of these; each checks permission, changes, records
participation (community.metrics), notifies (community.notifications) and publishes live events after commit
(community.realtime)."""

from community.forum.actions.engagement import (
    answer_accept,
    answer_unaccept,
    bookmark_toggle,
    draft_discard,
    draft_save,
    mark_read,
    reaction_toggle,
    subscription_set,
)
from community.forum.actions.moderation import (
    flag_create,
    member_silence,
    member_suspend,
    member_unsilence,
    review_approve,
    review_delete,
    review_hide,
    review_silence,
    topic_close,
    topic_lock,
    topic_merge,
    topic_move,
    topic_pin,
)
from community.forum.actions.posting import (
    category_create,
    post_delete,
    post_edit,
    post_restore,
    reply_create,
    topic_create,
)

__all__ = [
    "answer_accept", "answer_unaccept", "bookmark_toggle", "category_create", "draft_discard", "draft_save",
    "flag_create", "mark_read", "member_silence", "member_suspend", "member_unsilence", "post_delete",
    "post_edit", "post_restore", "reaction_toggle", "reply_create", "review_approve", "review_delete",
    "review_hide", "review_silence", "subscription_set", "topic_close", "topic_create", "topic_lock",
    "topic_merge", "topic_move", "topic_pin",
]
