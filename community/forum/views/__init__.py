"""Views of the forum: thin (parse, call one action or selector, render)."""

from community.forum.views.feeds import LatestTopicsFeed, latest_feed
from community.forum.views.lists import (
    bookmarks,
    categories,
    category,
    latest,
    search,
    tag,
    top,
    unanswered,
    unread,
)
from community.forum.views.moderation import audit_log, member_moderate, review, review_post, topic_moderate
from community.forum.views.topics import (
    accept,
    bookmark,
    category_subscription,
    draft,
    flag,
    post_delete,
    post_edit,
    post_permalink,
    post_restore,
    post_revisions,
    react,
    reply,
    topic,
    topic_new,
    topic_subscription,
)

__all__ = [
    "LatestTopicsFeed", "latest_feed", "accept", "audit_log", "bookmark", "bookmarks", "categories", "category",
    "category_subscription", "draft", "flag", "latest", "member_moderate", "post_delete", "post_edit",
    "post_permalink", "post_restore", "post_revisions", "react", "reply", "review", "review_post", "search",
    "tag", "top", "topic", "topic_moderate", "topic_new", "topic_subscription", "unanswered", "unread",
]
