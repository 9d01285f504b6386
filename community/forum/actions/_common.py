"""Shared helpers of the forum actions: rendering, live events, notifications, counters."""

from __future__ import annotations

from django.db import connection
from django.db.models import Max, Q, Value
from django.template.loader import render_to_string

from accounts.models import User
from community import markup, realtime
from community.forum.models import SEARCH_CONFIGS, Category, Post, Topic
from community.forum.permissions import ForumError
from community.notifications.actions import notify


def render_text(raw: str) -> tuple[str, list[User]]:
    """Markdown -> stored HTML with @mentions linked; returns the HTML and the mentioned members."""
    try:
        handles = markup.extract_mentions(raw)
    except markup.MarkupTooLong as exc:
        raise ForumError(str(exc)) from exc
    members: dict[str, User] = {}
    if handles:
        query = Q()
        for handle in handles:
            query |= Q(handle__iexact=handle)
        for user in User.objects.active().filter(query):
            if user.handle:
                members[user.handle.lower()] = user

    def mention_url(handle: str) -> str | None:
        user = members.get(handle.lower())
        return user.get_absolute_url() if user else None

    try:
        html = markup.render_markdown(raw, mention_url=mention_url)
    except markup.MarkupTooLong as exc:
        raise ForumError(str(exc)) from exc
    ordered = [members[h] for h in handles if h in members]
    return html, ordered


def search_config(language: str) -> str:
    return SEARCH_CONFIGS.get(language, "simple")


def index_post(post: Post, title: str = "") -> None:
    """Keep the post's full-text vector (PostgreSQL): the topic title (first post only, weight A) and the text."""
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    config = post.search_config
    vector = SearchVector(Value(title if post.number == 1 else ""), weight="A", config=config) + SearchVector(
        Value(post.raw), weight="B", config=config)
    Post.objects.filter(pk=post.pk).update(search_vector=vector)


def post_fragment(post: Post) -> str:
    """The viewer-neutral rendered post (no per-member controls), as live clients insert it."""
    from community.forum.presentation import Links, decorate

    links = Links(post.topic)
    decorate([post], links)
    return render_to_string("forum/_post.html", {"post": post, "topic": post.topic, "live": True, "links": links})


def publish_post(post: Post, op: str, *, counts_of: Topic | None = None) -> None:
    """A post on its topic's stream. `counts_of`: the topic, whose reply count and last post number ride along
    (a new reply: one frame per reader instead of this and a forum.topic)."""
    event: dict = {"type": "forum.post", "op": op, "topic_id": post.topic_id, "post_id": post.pk,
                   "number": post.number}
    if op != "remove":
        event["html"] = post_fragment(post)
    if counts_of is not None:
        event.update(reply_count=counts_of.reply_count, last_post_number=counts_of.last_post_number)
    realtime.publish_on_commit(realtime.topic_stream(post.topic_id), event)


def publish_topic(topic: Topic, op: str = "change", *, lists: bool = True, own_stream: bool = True,
                  **extra) -> None:
    """Topic state on its own stream (unless `own_stream` is False), and a list event on the latest and
    category streams."""
    state = {
        "type": "forum.topic", "op": op, "topic_id": topic.pk, "category_id": topic.category_id,
        "title": topic.title, "pinned": topic.pinned, "locked": topic.locked, "closed": topic.closed,
        "reply_count": topic.reply_count, "last_post_number": topic.last_post_number,
        "accepted_answer_id": topic.accepted_answer_id, "deleted": topic.deleted_at is not None,
    }
    state.update(extra)
    if own_stream:
        realtime.publish_on_commit(realtime.topic_stream(topic.pk), state)
    if lists:
        list_event = {"type": "forum.topic", "op": op, "topic_id": topic.pk, "category_id": topic.category_id}
        realtime.publish_on_commit(realtime.latest_stream(), list_event)
        realtime.publish_on_commit(realtime.category_stream(topic.category_id), list_event)


def notify_once(sent: set[int], *, recipient: User | None, kind: str, actor: User | None, target, url: str,
                data: dict | None = None) -> None:
    """Notify unless this member was already told about this act (or is the actor)."""
    if recipient is None or recipient.pk in sent or (actor is not None and recipient.pk == actor.pk):
        return
    if recipient.deleted_at is not None or not recipient.is_active:
        return
    sent.add(recipient.pk)
    notify(recipient=recipient, kind=kind, actor=actor, target=target, url=url, data=data or {})


def refresh_topic_counters(topic: Topic) -> None:
    """Recompute reply count and last activity from the visible posts (after delete, restore, hide, move)."""
    alive = Post.objects.alive().filter(topic=topic)
    agg = alive.aggregate(n=Max("number"))
    count = alive.count()
    topic.reply_count = max(0, count - 1)
    last = alive.order_by("-number").select_related("author").first() if agg["n"] else None
    if last is not None:
        topic.last_posted_at = last.created_at
        topic.last_poster_id = last.author_id
    Topic.objects.filter(pk=topic.pk).update(reply_count=topic.reply_count, last_posted_at=topic.last_posted_at,
                                             last_poster=topic.last_poster_id)


def refresh_category_count(category_id: int) -> None:
    count = Topic.objects.alive().filter(category_id=category_id).count()
    Category.objects.filter(pk=category_id).update(topic_count=count)
