"""What members do with posts: reactions, bookmarks, accepted answers, read state, subscriptions, drafts."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from community import realtime
from community.forum import permissions
from community.forum.actions._common import notify_once, publish_topic
from community.forum.models import (
    Bookmark,
    Category,
    Draft,
    Post,
    Reaction,
    ReactionKind,
    Subscription,
    SubscriptionLevel,
    Topic,
    TopicReadState,
)
from community.forum.permissions import ForumError, NotAllowed
from community.metrics.actions import record, undo


def _require_readable(user: User, post: Post) -> None:
    if not permissions.can_view_post(user, post) or not post.is_alive:
        raise ForumError(_("This post does not exist."))


def reaction_toggle(*, user: User, post: Post, kind: str = ReactionKind.LIKE) -> tuple[bool, dict[str, int]]:
    """Add the reaction if absent, remove it if present. Returns (now present?, counts by kind).

    Race-safe: the post row is locked first, so the counts recomputed from the reaction rows inside the
    same transaction always equal the distinct reactors, however many toggles run at once.
    """
    if kind not in ReactionKind.values:
        raise ForumError(_("Unknown reaction."))
    reason = permissions.member_refusal(user, check_verified=False)
    if reason:
        raise NotAllowed(reason)
    _require_readable(user, post)
    if post.author_id == user.pk:
        raise NotAllowed(_("You cannot react to your own post."))
    with transaction.atomic():
        Post.objects.select_for_update().filter(pk=post.pk).values_list("pk").first()
        deleted, _rows = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
        added = not deleted
        if added:
            try:
                with transaction.atomic():
                    Reaction.objects.create(post=post, user=user, kind=kind)
            except IntegrityError:
                added = False  # someone (a double click) added it a moment ago: treat as present
        counts = {
            row["kind"]: row["n"]
            for row in Reaction.objects.filter(post=post).values("kind").annotate(n=Count("id")).order_by("kind")
        }
        Post.objects.filter(pk=post.pk).update(reaction_counts=counts)
        post.reaction_counts = counts
        if deleted or added:
            delta = 1 if added else -1
            Topic.objects.filter(pk=post.topic_id).update(like_count=Greatest(F("like_count") + delta, 0))
        if added:
            record(member=user, kind="reaction.given", subject=post)
            if post.author is not None:
                record(member=post.author, kind="reaction.received", subject=post)
                notify_once(set(), recipient=post.author, kind="reaction", actor=user, target=post,
                            url=post.topic.post_url(post.number), data={"reaction": kind})
        elif deleted:
            undo(member=user, kind="reaction.given", subject=post)
            if post.author is not None:
                undo(member=post.author, kind="reaction.received", subject=post)
        realtime.publish_on_commit(realtime.topic_stream(post.topic_id), {
            "type": "forum.reaction", "op": "change", "topic_id": post.topic_id, "post_id": post.pk,
            "counts": counts,
        })
    return added, counts


def bookmark_toggle(*, user: User, post: Post) -> bool:
    """Bookmark the post or remove the bookmark; returns whether it is bookmarked now."""
    if not user.is_authenticated:
        raise NotAllowed(_("Please log in to take part."))
    _require_readable(user, post)
    with transaction.atomic():
        deleted, _rows = Bookmark.objects.filter(user=user, post=post).delete()
        if deleted:
            return False
        Bookmark.objects.get_or_create(user=user, post=post)
    return True


def answer_accept(*, actor: User, post: Post) -> Topic:
    """Mark a reply as the answer of a Q&A topic (the asker or a moderator)."""
    topic = post.topic
    if not topic.category.qa_mode:
        raise ForumError(_("Only topics in question-and-answer categories have accepted answers."))
    if topic.author_id != actor.pk and not permissions.can_moderate(actor, topic.category):
        raise NotAllowed(_("Only the asker or a moderator may accept an answer."))
    if post.topic_id != topic.pk or post.number == 1 or not post.is_alive:
        raise ForumError(_("Only a reply can be the accepted answer."))
    with transaction.atomic():
        current = Topic.objects.select_for_update().get(pk=topic.pk)
        if current.accepted_answer_id == post.pk:
            return topic
        if current.accepted_answer_id:
            previous = Post.objects.select_related("author").get(pk=current.accepted_answer_id)
            if previous.author is not None:
                undo(member=previous.author, kind="answer.accepted", subject=previous)
        Topic.objects.filter(pk=topic.pk).update(accepted_answer=post)
        topic.accepted_answer = post
        if post.author is not None:
            record(member=post.author, kind="answer.accepted", subject=post)
            notify_once(set(), recipient=post.author, kind="accepted", actor=actor, target=post,
                        url=topic.post_url(post.number))
        if topic.author_id != actor.pk:
            from accounts.actions import audit

            audit(actor=actor, action="forum.answer.accept", target=topic, post=post.pk)
        publish_topic(topic, "change")
    return topic


def answer_unaccept(*, actor: User, topic: Topic) -> Topic:
    if topic.author_id != actor.pk and not permissions.can_moderate(actor, topic.category):
        raise NotAllowed(_("Only the asker or a moderator may change the accepted answer."))
    with transaction.atomic():
        current = Topic.objects.select_for_update().get(pk=topic.pk)
        if not current.accepted_answer_id:
            return topic
        previous = Post.objects.select_related("author").get(pk=current.accepted_answer_id)
        Topic.objects.filter(pk=topic.pk).update(accepted_answer=None)
        topic.accepted_answer = None
        if previous.author is not None:
            undo(member=previous.author, kind="answer.accepted", subject=previous)
        if topic.author_id != actor.pk:
            from accounts.actions import audit

            audit(actor=actor, action="forum.answer.unaccept", target=topic, post=previous.pk)
        publish_topic(topic, "change")
    return topic


def mark_read(*, user: User, topic: Topic, number: int) -> None:
    """Remember that `user` has read `topic` up to post `number` (never moves backwards)."""
    if not user.is_authenticated:
        return
    number = min(number, topic.last_post_number)
    now = timezone.now()
    updated = TopicReadState.objects.filter(user=user, topic=topic, last_read_post_number__lt=number).update(
        last_read_post_number=number, updated_at=now)
    if updated:
        return
    try:
        with transaction.atomic():
            _state, created = TopicReadState.objects.get_or_create(
                user=user, topic=topic, defaults={"last_read_post_number": number, "updated_at": now})
    except IntegrityError:
        return
    if created:
        Topic.objects.filter(pk=topic.pk).update(view_count=F("view_count") + 1)


def subscription_set(*, user: User, level: str, topic: Topic | None = None,
                     category: Category | None = None) -> Subscription:
    if level not in SubscriptionLevel.values:
        raise ForumError(_("Unknown notification level."))
    if (topic is None) == (category is None):
        raise ForumError(_("Choose a topic or a category."))
    if not user.is_authenticated:
        raise NotAllowed(_("Please log in to take part."))
    if topic is not None and not permissions.can_view_topic(user, topic):
        raise ForumError(_("This topic does not exist."))
    if category is not None and not permissions.can_view_category(user, category):
        raise ForumError(_("This category does not exist."))
    target = {"topic": topic} if topic is not None else {"category": category}
    subscription, _created = Subscription.objects.update_or_create(
        user=user, **target, defaults={"level": level, "updated_at": timezone.now()})
    return subscription


def draft_save(*, user: User, topic: Topic | None = None, category: Category | None = None, title: str = "",
               raw: str = "") -> Draft | None:
    """Keep what the member is typing (a reply to `topic`, or a new topic). Empty text discards the draft."""
    if not user.is_authenticated:
        raise NotAllowed(_("Please log in to take part."))
    if topic is not None and not permissions.can_view_topic(user, topic):
        raise ForumError(_("This topic does not exist."))
    if category is not None and not permissions.can_view_category(user, category):
        category = None
    if not (raw or "").strip() and not (title or "").strip():
        draft_discard(user=user, topic=topic)
        return None
    from community.markup import MAX_LENGTH

    if len(raw) > MAX_LENGTH:
        raise ForumError(_("This text is too long."))
    draft, _created = Draft.objects.update_or_create(
        user=user, topic=topic,
        defaults={"raw": raw, "title": (title or "")[:200], "category": category, "updated_at": timezone.now()})
    return draft


def draft_discard(*, user: User, topic: Topic | None = None) -> None:
    Draft.objects.filter(user=user, topic=topic).delete()
