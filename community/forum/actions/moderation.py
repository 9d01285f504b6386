"""Moderation: flags, the review queue, topic state, silencing and suspending. Every act is audited."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.actions import audit
from accounts.models import User
from community import realtime
from community.forum import permissions
from community.forum.actions._common import (
    index_post,
    notify_once,
    publish_post,
    publish_topic,
    refresh_category_count,
    refresh_topic_counters,
)
from community.forum.actions.posting import post_delete, post_publish_approved
from community.forum.models import AccessLevel, Category, Flag, FlagReason, Post, Subscription, Topic, TopicReadState
from community.forum.permissions import ForumError, NotAllowed


def _require_moderator(actor: User, category: Category | None) -> None:
    if not permissions.can_moderate(actor, category):
        raise NotAllowed(_("Only moderators may do this."))


def _resolve_flags(post: Post, actor: User | None, resolution: str) -> None:
    Flag.objects.open().filter(post=post).update(resolved_at=timezone.now(), resolved_by=actor,
                                                 resolution=resolution)


def _tell_author(post: Post, actor: User | None, message: str) -> None:
    notify_once(set(), recipient=post.author, kind="moderation", actor=actor, target=post,
                url=post.topic.post_url(post.number), data={"message": str(message)})


# --- Flags -------------------------------------------------------------------------------------------------

def flag_create(*, user: User, post: Post, reason: str, message: str = "") -> Flag:
    """Flag a post for the moderators; after FORUM_FLAGS_TO_HIDE distinct flags it is hidden until reviewed."""
    if reason not in FlagReason.values:
        raise ForumError(_("Choose a reason."))
    refusal = permissions.member_refusal(user, check_verified=False)
    if refusal:
        raise NotAllowed(refusal)
    if not permissions.can_view_post(user, post) or post.deleted_at is not None:
        raise ForumError(_("This post does not exist."))
    if post.author_id == user.pk:
        raise ForumError(_("You cannot flag your own post."))
    threshold = permissions.setting("FORUM_FLAGS_TO_HIDE", 3)
    try:
        with transaction.atomic():
            Post.objects.select_for_update().filter(pk=post.pk).values_list("pk").first()
            flag = Flag.objects.create(post=post, user=user, reason=reason, message=(message or "")[:1000])
            open_flags = Flag.objects.open().filter(post=post).values("user").distinct().count()
            if open_flags >= threshold and not post.hidden:
                Post.objects.filter(pk=post.pk).update(hidden=True)
                post.hidden = True
                audit(actor=None, action="forum.post.auto_hide", target=post, flags=open_flags)
                _after_visibility_change(post, removed=True)
                _tell_author(post, None, _("Your post was hidden after several flags and waits for a moderator."))
    except IntegrityError as exc:
        raise ForumError(_("You have already flagged this post.")) from exc
    return flag


def _after_visibility_change(post: Post, *, removed: bool) -> None:
    topic = post.topic
    if post.number == 1:
        refresh_category_count(topic.category_id)
    refresh_topic_counters(topic)
    publish_post(post, "remove" if removed else "add")
    publish_topic(topic, "change")


# --- The review queue --------------------------------------------------------------------------------------

def review_approve(*, actor: User, post: Post) -> Post:
    """Approve a held post, or clear the flags of a hidden or flagged one and show it again."""
    _require_moderator(actor, post.topic.category)
    with transaction.atomic():
        was_held, was_hidden = not post.approved, post.hidden
        Post.objects.filter(pk=post.pk).update(approved=True, hidden=False)
        post.approved, post.hidden = True, False
        _resolve_flags(post, actor, "approve")
        audit(actor=actor, action="forum.post.approve", target=post, held=was_held, hidden=was_hidden)
        if was_held:
            post_publish_approved(post)
        elif was_hidden:
            _after_visibility_change(post, removed=False)
    return post


def review_hide(*, actor: User, post: Post, reason: str = "") -> Post:
    _require_moderator(actor, post.topic.category)
    with transaction.atomic():
        Post.objects.filter(pk=post.pk).update(hidden=True)
        post.hidden = True
        _resolve_flags(post, actor, "hide")
        audit(actor=actor, action="forum.post.hide", target=post, reason=reason)
        _after_visibility_change(post, removed=True)
        _tell_author(post, actor, reason or _("A moderator hid your post."))
    return post


def review_delete(*, actor: User, post: Post, reason: str = "") -> Post:
    _require_moderator(actor, post.topic.category)
    with transaction.atomic():
        _resolve_flags(post, actor, "delete")
        post_delete(actor=actor, post=post, reason=reason)
        if post.author_id == actor.pk:  # post_delete audits only others' posts
            audit(actor=actor, action="forum.post.delete", target=post, reason=reason)
        _tell_author(post, actor, reason or _("A moderator deleted your post."))
    return post


def review_silence(*, actor: User, post: Post, days: int, reason: str) -> Post:
    """Hide the post and silence its author."""
    _require_moderator(actor, post.topic.category)
    if post.author is None:
        raise ForumError(_("This post has no author to silence."))
    with transaction.atomic():
        member_silence(actor=actor, member=post.author, days=days, reason=reason)
        Post.objects.filter(pk=post.pk).update(hidden=True)
        post.hidden = True
        _resolve_flags(post, actor, "silence")
        audit(actor=actor, action="forum.post.hide", target=post, reason=reason)
        _after_visibility_change(post, removed=True)
    return post


# --- Topic state -------------------------------------------------------------------------------------------

def _topic_flag(actor: User, topic: Topic, field: str, value: bool) -> Topic:
    _require_moderator(actor, topic.category)
    with transaction.atomic():
        Topic.objects.filter(pk=topic.pk).update(**{field: value})
        setattr(topic, field, value)
        audit(actor=actor, action=f"forum.topic.{field}", target=topic, value=value)
        publish_topic(topic, "change")
    return topic


def topic_lock(*, actor: User, topic: Topic, locked: bool = True) -> Topic:
    return _topic_flag(actor, topic, "locked", locked)


def topic_pin(*, actor: User, topic: Topic, pinned: bool = True) -> Topic:
    return _topic_flag(actor, topic, "pinned", pinned)


def topic_close(*, actor: User, topic: Topic, closed: bool = True) -> Topic:
    return _topic_flag(actor, topic, "closed", closed)


def topic_move(*, actor: User, topic: Topic, category: Category) -> Topic:
    _require_moderator(actor, topic.category)
    _require_moderator(actor, category)
    if category.pk == topic.category_id:
        return topic
    with transaction.atomic():
        old = topic.category_id
        Topic.objects.filter(pk=topic.pk).update(category=category)
        if not category.qa_mode and topic.accepted_answer_id:
            Topic.objects.filter(pk=topic.pk).update(accepted_answer=None)
            topic.accepted_answer = None
        realtime_remove = {"type": "forum.topic", "op": "remove", "topic_id": topic.pk, "category_id": old}
        realtime.publish_on_commit(realtime.category_stream(old), realtime_remove)
        topic.category = category
        refresh_category_count(old)
        refresh_category_count(category.pk)
        audit(actor=actor, action="forum.topic.move", target=topic, from_category=old, to_category=category.pk)
        publish_topic(topic, "change")
        for member_id in _participants_shut_out(topic, category):
            access_changed(member_id)
    return topic


def _participants_shut_out(topic: Topic, category: Category) -> list[int]:
    """Members who took part in `topic` (posted or subscribed) and may not read `category`: their open sockets
    re-check at once. Only a "chosen roles" category shuts members out (a members-only one shuts out only
    signed-out readers, who have no member stream). Other readers of the topic lose it at their socket's next
    periodic re-check (settings.REALTIME_RECHECK_SECONDS). One query; a member told needlessly only re-checks."""
    if category.access_level != AccessLevel.ROLES:
        return []
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    from accounts.roles import MODERATE

    app_label, codename = MODERATE.split(".", 1)
    moderate = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    took_part = Q(pk__in=Post.objects.filter(topic=topic, author__isnull=False).values("author_id")) | Q(
        pk__in=Subscription.objects.filter(topic=topic).values("user_id"))
    may_read = (Q(is_staff=True) | Q(is_superuser=True) | Q(groups__in=category.access_groups.all())
                | Q(moderated_categories=category) | Q(user_permissions__in=moderate)
                | Q(groups__permissions__in=moderate))
    readers = User.objects.filter(may_read).values("pk")
    return list(User.objects.filter(took_part).exclude(pk__in=readers).order_by("pk").values_list("pk", flat=True))


def access_changed(member_id: int) -> None:
    """Tell the member's open sockets (after commit) to re-check what they may still receive."""
    realtime.publish_on_commit(realtime.member_stream(member_id), {"type": realtime.ACCESS_CHANGED})


def topic_merge(*, actor: User, source: Topic, target: Topic) -> Topic:
    """Move every post of `source` to the end of `target` (in time order); `source` then points to `target`."""
    _require_moderator(actor, source.category)
    _require_moderator(actor, target.category)
    if source.pk == target.pk:
        raise ForumError(_("A topic cannot be merged into itself."))
    with transaction.atomic():
        locked_target = Topic.objects.select_for_update().get(pk=target.pk)
        number = locked_target.last_post_number
        moved = list(Post.objects.filter(topic=source).order_by("created_at", "number"))
        for post in moved:
            number += 1
            Post.objects.filter(pk=post.pk).update(topic=target, number=number)
            if post.number == 1:  # no longer a first post: its old title leaves the search vector
                post.number = number
                index_post(post)
        Topic.objects.filter(pk=target.pk).update(last_post_number=number)
        target.last_post_number = number
        now = timezone.now()
        Topic.objects.filter(pk=source.pk).update(merged_into=target, deleted_at=now, deleted_by=actor,
                                                  accepted_answer=None, reply_count=0)
        source.deleted_at, source.merged_into = now, target
        TopicReadState.objects.filter(topic=source).delete()
        refresh_topic_counters(target)
        refresh_category_count(source.category_id)
        refresh_category_count(target.category_id)
        audit(actor=actor, action="forum.topic.merge", target=target, source=source.pk, posts=len(moved))
        publish_topic(source, "remove")
        publish_topic(target, "change")
        for post in Post.objects.alive().filter(topic=target, number__gt=number - len(moved)).select_related(
                "author", "topic"):
            publish_post(post, "add")
    return target


# --- Members -----------------------------------------------------------------------------------------------

def _member_guard(actor: User, member: User) -> None:
    _require_moderator(actor, None)
    if member.pk == actor.pk:
        raise ForumError(_("You cannot do this to yourself."))
    if (member.is_staff or permissions.is_global_moderator(member)) and not actor.is_staff:
        raise NotAllowed(_("Only staff may silence or suspend moderators."))


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ForumError(_("Please give the member a reason."))
    return reason[:1000]


def member_silence(*, actor: User, member: User, days: int, reason: str) -> User:
    """The member may read but not post for `days` days; they see the reason."""
    _member_guard(actor, member)
    reason = _clean_reason(reason)
    if days < 1:
        raise ForumError(_("Choose at least one day."))
    until = timezone.now() + timedelta(days=days)
    with transaction.atomic():
        User.objects.filter(pk=member.pk).update(silenced_until=until, moderation_reason=reason)
        member.silenced_until, member.moderation_reason = until, reason
        audit(actor=actor, action="forum.member.silence", target=member, until=until.isoformat(), reason=reason)
        notify_once(set(), recipient=member, kind="moderation", actor=actor, target=member, url="/",
                    data={"message": reason, "until": until.isoformat()})
        access_changed(member.pk)  # open sockets stop sending "is typing"
    return member


def member_suspend(*, actor: User, member: User, days: int, reason: str) -> User:
    """The member may not sign in for `days` days; they see the reason when they try."""
    _member_guard(actor, member)
    reason = _clean_reason(reason)
    if days < 1:
        raise ForumError(_("Choose at least one day."))
    until = timezone.now() + timedelta(days=days)
    with transaction.atomic():
        User.objects.filter(pk=member.pk).update(suspended_until=until, moderation_reason=reason)
        member.suspended_until, member.moderation_reason = until, reason
        audit(actor=actor, action="forum.member.suspend", target=member, until=until.isoformat(), reason=reason)
        access_changed(member.pk)  # open sockets are closed at once
    return member


def member_unsilence(*, actor: User, member: User) -> User:
    _require_moderator(actor, None)
    with transaction.atomic():
        User.objects.filter(pk=member.pk).update(silenced_until=None, suspended_until=None)
        member.silenced_until = member.suspended_until = None
        audit(actor=actor, action="forum.member.lift", target=member)
        access_changed(member.pk)  # lifts silence and suspension: open sockets reload the member
    return member


__all__ = [
    "flag_create", "review_approve", "review_hide", "review_delete", "review_silence", "topic_lock",
    "topic_pin", "topic_close", "topic_move", "topic_merge", "member_silence", "member_suspend",
    "member_unsilence",
]
