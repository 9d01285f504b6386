"""The forum part of a member's data export and account erasure (called by accounts.export).

Contributions stay after erasure (topics, posts and reactions are part of conversations others took part in;
they show the author as "deleted member"); what is private to the member goes: drafts, bookmarks, read
state and subscriptions.
"""

from __future__ import annotations

from django.db import transaction

from community.forum.models import Bookmark, Draft, Flag, Post, Reaction, Subscription, Topic, TopicReadState


def member_data(user) -> dict:
    """Everything the forum holds that the member wrote or that is about them (JSON-ready)."""
    return {
        "topics": [
            {"id": t.pk, "title": t.title, "category": t.category.name, "created_at": t.created_at,
             "url": t.get_absolute_url(), "tags": sorted(tag.name for tag in t.tags.all()),
             "deleted_at": t.deleted_at}
            for t in Topic.objects.filter(author=user).select_related("category").prefetch_related("tags")
            .order_by("pk")
        ],
        "posts": [
            {"id": p.pk, "topic": p.topic_id, "number": p.number, "text": p.raw, "created_at": p.created_at,
             "edited_at": p.edited_at, "deleted_at": p.deleted_at, "hidden": p.hidden, "approved": p.approved,
             "revisions": [{"text": r.raw, "at": r.created_at} for r in p.revisions.all()]}
            for p in Post.objects.filter(author=user).prefetch_related("revisions").order_by("pk")
        ],
        "reactions": [
            {"post": r.post_id, "kind": r.kind, "at": r.created_at}
            for r in Reaction.objects.filter(user=user).order_by("pk")
        ],
        "bookmarks": [
            {"post": b.post_id, "url": b.post.get_absolute_url(), "at": b.created_at}
            for b in Bookmark.objects.filter(user=user).select_related("post__topic").order_by("pk")
        ],
        "subscriptions": [
            {"topic": s.topic_id, "category": s.category_id, "level": s.level}
            for s in Subscription.objects.filter(user=user).order_by("pk")
        ],
        "read_state": [
            {"topic": r.topic_id, "last_read_post_number": r.last_read_post_number}
            for r in TopicReadState.objects.filter(user=user).order_by("pk")
        ],
        "drafts": [
            {"topic": d.topic_id, "title": d.title, "text": d.raw, "updated_at": d.updated_at}
            for d in Draft.objects.filter(user=user).order_by("pk")
        ],
        "flags": [
            {"post": f.post_id, "reason": f.reason, "message": f.message, "at": f.created_at}
            for f in Flag.objects.filter(user=user).order_by("pk")
        ],
    }


@transaction.atomic
def member_erase(user) -> dict:
    """Erase what is private to the member; their posts stay (shown as by "deleted member")."""
    drafts, _ = Draft.objects.filter(user=user).delete()
    bookmarks, _ = Bookmark.objects.filter(user=user).delete()
    reads, _ = TopicReadState.objects.filter(user=user).delete()
    subscriptions, _ = Subscription.objects.filter(user=user).delete()
    return {"drafts": drafts, "bookmarks": bookmarks, "read_states": reads, "subscriptions": subscriptions}
