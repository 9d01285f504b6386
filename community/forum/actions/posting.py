"""Writing: categories, topics, replies, edits, soft delete and restore."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.actions import audit
from accounts.models import User
from community.forum import permissions
from community.forum.actions._common import (
    index_post,
    notify_once,
    publish_post,
    publish_topic,
    refresh_category_count,
    refresh_topic_counters,
    render_text,
    search_config,
)
from community.forum.models import (
    AccessLevel,
    Category,
    Post,
    PostRevision,
    StartPolicy,
    Subscription,
    SubscriptionLevel,
    Topic,
)
from community.forum.permissions import ForumError, NotAllowed
from community.metrics.actions import record, undo

MAX_TAGS = 5


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if len(title) < 3:
        raise ForumError(_("The title needs at least 3 characters."))
    if len(title) > 200:
        raise ForumError(_("The title can have at most 200 characters."))
    return title


def _clean_raw(raw: str) -> str:
    raw = (raw or "").strip()
    if not raw:
        raise ForumError(_("Please write something."))
    return raw


def _clean_tags(tags: Iterable[str] | str | None) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.replace(",", " ").split()
    cleaned: list[str] = []
    for tag in tags:
        tag = slugify(tag, allow_unicode=True)[:50]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ForumError(_("At most %(n)s tags.") % {"n": MAX_TAGS})
    return cleaned


def _slug(title: str) -> str:
    return slugify(title, allow_unicode=True)[:200] or "topic"


def _needs_approval(user: User, category: Category) -> bool:
    if not category.hold_new_member_posts or permissions.can_moderate(user, category):
        return False
    trusted_after = permissions.setting("FORUM_APPROVED_POSTS_TO_TRUST", 1)
    approved = Post.objects.filter(author=user, approved=True, deleted_at__isnull=True)[:trusted_after].count()
    return approved < trusted_after


def _check_content(user: User, html: str, mentions: list[User]) -> None:
    reason = permissions.content_refusal(user, html=html, mentions=[m.handle for m in mentions])
    if reason:
        raise permissions.RateLimited(reason)


# --- Categories --------------------------------------------------------------------------------------------

def category_create(*, actor: User, name: str, slug: str = "", description: str = "", colour: str = "#2455c3",
                    position: int = 0, parent: Category | None = None, access_level: str = AccessLevel.PUBLIC,
                    access_groups: Iterable = (), start_policy: str = StartPolicy.EVERYONE,
                    hold_new_member_posts: bool = False, slow_mode_seconds: int = 0, qa_mode: bool = False,
                    moderators: Iterable[User] = ()) -> Category:
    if not (actor.is_staff or actor.has_perm("accounts.moderate_community")):
        raise NotAllowed(_("Only moderators may create categories."))
    category = Category(
        name=name, slug=slug or slugify(name, allow_unicode=True), description=description, colour=colour,
        position=position, parent=parent, access_level=access_level, start_policy=start_policy,
        hold_new_member_posts=hold_new_member_posts, slow_mode_seconds=slow_mode_seconds, qa_mode=qa_mode,
    )
    try:
        category.full_clean()
    except ValidationError as exc:
        raise ForumError("; ".join(exc.messages)) from exc
    with transaction.atomic():
        category.save()
        category.access_groups.set(list(access_groups))
        category.moderators.set(list(moderators))
        audit(actor=actor, action="forum.category.create", target=category, name=name, access=access_level)
    return category


# --- Topics and replies --------------------------------------------------------------------------------------

def topic_create(*, author: User, category: Category, title: str, raw: str, tags: Iterable[str] | str | None = None,
                 token: str | None = None, language: str | None = None) -> Topic:
    """Start a topic with its first post. The same `token` twice makes one topic."""
    title = _clean_title(title)
    raw = _clean_raw(raw)
    tag_names = _clean_tags(tags)
    if token:
        existing = Post.objects.filter(author=author, idempotency_key=token, number=1).select_related("topic").first()
        if existing:
            return existing.topic
    permissions.require(permissions.can_start_topic(author, category))
    html, mentioned = render_text(raw)
    _check_content(author, html, mentioned)
    language = language or getattr(author, "locale", "en") or "en"
    now = timezone.now()
    try:
        with transaction.atomic():
            held = _needs_approval(author, category)
            topic = Topic.objects.create(
                category=category, title=title, slug=_slug(title), author=author, language=language,
                approved=not held, last_posted_at=now, last_poster=author, last_post_number=1, created_at=now,
            )
            post = Post.objects.create(
                topic=topic, number=1, author=author, raw=raw, html=html, search_config=search_config(language),
                created_at=now, approved=not held, idempotency_key=token or None,
            )
            index_post(post, title)
            if tag_names:
                topic.tags.set(tag_names)
            Subscription.objects.get_or_create(user=author, topic=topic,
                                               defaults={"level": SubscriptionLevel.WATCHING})
            if not held:
                _announce_topic(topic, post, mentioned)
    except IntegrityError:
        if token:
            existing = (Post.objects.filter(author=author, idempotency_key=token, number=1)
                        .select_related("topic").first())
            if existing:
                return existing.topic
        raise
    return topic


def _announce_topic(topic: Topic, post: Post, mentioned: list[User]) -> None:
    """What happens when a topic becomes visible: counters, participation, notifications, live events."""
    refresh_category_count(topic.category_id)
    record(member=topic.author, kind="topic.created", subject=topic)
    sent: set[int] = set()
    watchers = [sub.user for sub in Subscription.objects.filter(
        category_id=topic.category_id, level=SubscriptionLevel.WATCHING).select_related("user")]
    readers = permissions.readers_among([*mentioned, *watchers], topic)
    for user in mentioned:
        if user.pk in readers:
            notify_once(sent, recipient=user, kind="mention", actor=post.author, target=post,
                        url=topic.post_url(post.number))
    for user in watchers:
        if user.pk in readers:
            notify_once(sent, recipient=user, kind="watching", actor=post.author, target=post,
                        url=topic.get_absolute_url())
    publish_topic(topic, "add")


def reply_create(*, author: User, topic: Topic, raw: str, reply_to: Post | None = None,
                 quote_post: Post | None = None, quote_text: str = "", token: str | None = None) -> Post:
    """Reply in a topic. With `quote_post`, `quote_text` (a passage of it) becomes a blockquote linking back."""
    raw = _clean_raw(raw)
    if token:
        existing = Post.objects.filter(author=author, idempotency_key=token).first()
        if existing:
            return existing
    if reply_to is not None and reply_to.topic_id != topic.pk:
        raise ForumError(_("You can only reply to a post of this topic."))
    if quote_post is not None:
        if not permissions.can_view_post(author, quote_post) or not quote_post.is_alive:
            raise ForumError(_("The quoted post does not exist."))
        raw = _quote_markdown(quote_post, quote_text) + raw
    permissions.require(permissions.can_post(author, topic))
    html, mentioned = render_text(raw)
    _check_content(author, html, mentioned)
    try:
        with transaction.atomic():
            locked = Topic.objects.select_for_update(of=("self",)).select_related("category", "author").get(pk=topic.pk)
            if token:
                existing = Post.objects.filter(author=author, idempotency_key=token).first()
                if existing:
                    return existing
            held = _needs_approval(author, locked.category)
            now = timezone.now()
            number = locked.last_post_number + 1
            post = Post.objects.create(
                topic=locked, number=number, author=author, reply_to=reply_to, raw=raw, html=html,
                search_config=search_config(locked.language), created_at=now, approved=not held,
                idempotency_key=token or None,
            )
            index_post(post)
            updates: dict = {"last_post_number": number}
            if not held:
                updates.update(reply_count=F("reply_count") + 1, last_posted_at=now, last_poster=author)
            Topic.objects.filter(pk=locked.pk).update(**updates)
            locked.refresh_from_db(fields=["last_post_number", "reply_count", "last_posted_at", "last_poster"])
            post.topic = locked
            topic.last_post_number, topic.reply_count = locked.last_post_number, locked.reply_count
            topic.last_posted_at = locked.last_posted_at
            if not held:
                _announce_reply(post, mentioned, quote_post)
    except IntegrityError:
        if token:
            existing = Post.objects.filter(author=author, idempotency_key=token).first()
            if existing:
                return existing
        raise
    return post


def _quote_markdown(post: Post, passage: str) -> str:
    passage = (passage or "").strip() or post.raw.strip()
    passage = passage[:2000]
    quoted = "\n".join("> " + line for line in passage.splitlines())
    name = f"@{post.author.handle}" if post.author and post.author.handle else str(_("a member"))
    link = post.topic.post_url(post.number)
    return f"{quoted}\n>\n> — [{name}, #{post.number}]({link})\n\n"


def _announce_reply(post: Post, mentioned: list[User], quote_post: Post | None) -> None:
    topic = post.topic
    record(member=post.author, kind="post.replied", subject=post)
    url = topic.post_url(post.number)
    muted = set(Subscription.objects.filter(topic=topic, level=SubscriptionLevel.MUTED)
                .values_list("user_id", flat=True))
    sent: set[int] = set(muted)
    watchers = [sub.user for sub in Subscription.objects.filter(
        Q(topic=topic) | Q(category_id=topic.category_id), level=SubscriptionLevel.WATCHING).select_related("user")]
    readers = permissions.readers_among([*mentioned, *watchers], topic)
    for user in mentioned:
        if user.pk in readers:
            notify_once(sent, recipient=user, kind="mention", actor=post.author, target=post, url=url)
    if quote_post is not None:
        notify_once(sent, recipient=quote_post.author, kind="quote", actor=post.author, target=post, url=url)
    if post.reply_to_id:
        notify_once(sent, recipient=post.reply_to.author, kind="reply", actor=post.author, target=post, url=url)
    notify_once(sent, recipient=topic.author, kind="reply", actor=post.author, target=post, url=url)
    for user in watchers:
        if user.pk in readers:
            notify_once(sent, recipient=user, kind="watching", actor=post.author, target=post, url=url)
    # One frame per reader of the topic: the reply carries the topic's new counts (static/js/live.js reads
    # them from forum.post); the lists get their forum.topic change (forum README, "Live events").
    publish_post(post, "add", counts_of=topic)
    publish_topic(topic, "change", own_stream=False)


def post_publish_approved(post: Post) -> None:
    """A held post was approved: counters and announcements as if it had just been posted."""
    topic = post.topic
    if post.number == 1:
        Topic.objects.filter(pk=topic.pk).update(approved=True)
        topic.approved = True
        html, mentioned = render_text(post.raw)
        _announce_topic(topic, post, mentioned)
    else:
        refresh_topic_counters(topic)
        html, mentioned = render_text(post.raw)
        _announce_reply(post, mentioned, None)


# --- Edits and deletion --------------------------------------------------------------------------------------

def post_edit(*, editor: User, post: Post, raw: str, title: str | None = None,
              tags: Iterable[str] | str | None = None) -> Post:
    """Change a post's text (and, for the first post, the topic's title and tags), keeping a revision."""
    raw = _clean_raw(raw)
    topic = post.topic
    moderator = permissions.can_moderate(editor, topic.category)
    if not moderator:
        if post.author_id != editor.pk:
            raise NotAllowed(_("You can only edit your own posts."))
        reason = permissions.member_refusal(editor)
        if reason:
            raise NotAllowed(reason)
        if post.deleted_at is not None or topic.locked:
            raise NotAllowed(_("This post can no longer be edited."))
    if title is not None:
        title = _clean_title(title)
    html, mentioned = render_text(raw)
    _check_content(editor, html, mentioned)
    old_mentions = set(_mentioned_ids(post.raw))
    with transaction.atomic():
        PostRevision.objects.create(post=post, raw=post.raw, html=post.html,
                                    title=topic.title if post.number == 1 else "", editor=editor)
        post.raw, post.html = raw, html
        post.edited_at = timezone.now()
        post.edit_count = F("edit_count") + 1
        post.save(update_fields=["raw", "html", "edited_at", "edit_count"])
        post.refresh_from_db(fields=["edit_count"])
        if post.number == 1 and (title is not None or tags is not None):
            if title is not None and title != topic.title:
                topic.title, topic.slug = title, _slug(title)
                topic.save(update_fields=["title", "slug"])
        index_post(post, topic.title)
        if post.number == 1 and (title is not None or tags is not None):
            if tags is not None:
                topic.tags.set(_clean_tags(tags))
            publish_topic(topic, "change")
        if moderator and post.author_id != editor.pk:
            audit(actor=editor, action="forum.post.edit", target=post, topic=topic.pk, number=post.number)
        if post.is_alive:
            sent: set[int] = set()
            for user in mentioned:
                if user.pk not in old_mentions and permissions.can_view_topic(user, topic):
                    notify_once(sent, recipient=user, kind="mention", actor=editor, target=post,
                                url=topic.post_url(post.number))
            publish_post(post, "change")
    return post


def _mentioned_ids(raw: str) -> list[int]:
    _html, users = render_text(raw)
    return [u.pk for u in users]


def post_delete(*, actor: User, post: Post, reason: str = "") -> Post:
    """Soft delete: the author their own post, moderators any. The first post deletes the topic."""
    topic = post.topic
    moderator = permissions.can_moderate(actor, topic.category)
    if not moderator and post.author_id != actor.pk:
        raise NotAllowed(_("You can only delete your own posts."))
    if post.deleted_at is not None:
        return post
    with transaction.atomic():
        now = timezone.now()
        Post.objects.filter(pk=post.pk).update(deleted_at=now, deleted_by=actor)
        post.deleted_at, post.deleted_by = now, actor
        if post.number == 1:
            Topic.objects.filter(pk=topic.pk).update(deleted_at=now, deleted_by=actor)
            topic.deleted_at = now
            refresh_category_count(topic.category_id)
            publish_topic(topic, "remove")
        else:
            if topic.accepted_answer_id == post.pk:
                _unaccept(topic, post)
            refresh_topic_counters(topic)
            publish_topic(topic, "change")
        publish_post(post, "remove")
        if post.author_id != actor.pk:
            audit(actor=actor, action="forum.post.delete", target=post, topic=topic.pk, number=post.number,
                  reason=reason)
            if post.author is not None:
                undo(member=post.author, kind="topic.created" if post.number == 1 else "post.replied",
                     subject=topic if post.number == 1 else post)
    return post


def post_restore(*, actor: User, post: Post) -> Post:
    topic = post.topic
    if not permissions.can_moderate(actor, topic.category):
        raise NotAllowed(_("Only moderators may restore posts."))
    if post.deleted_at is None:
        return post
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(deleted_at=None, deleted_by=None)
        post.deleted_at = post.deleted_by = None
        if post.number == 1:
            Topic.objects.filter(pk=topic.pk).update(deleted_at=None, deleted_by=None)
            topic.deleted_at = None
            refresh_category_count(topic.category_id)
        refresh_topic_counters(topic)
        audit(actor=actor, action="forum.post.restore", target=post, topic=topic.pk, number=post.number)
        if post.is_alive:
            publish_post(post, "add")
        publish_topic(topic, "change")
    return post


def _unaccept(topic: Topic, post: Post) -> None:
    Topic.objects.filter(pk=topic.pk).update(accepted_answer=None)
    topic.accepted_answer = None
    if post.author is not None:
        undo(member=post.author, kind="answer.accepted", subject=post)
