"""Who may read, post and moderate where. Pure checks: they change nothing.

Reading checks use only what is already loaded (the category row, the member and, for role-restricted
categories, the member's group ids, fetched once per request and cached on the user object), so pages stay
constant in queries. Posting checks (`posting_refusal`) may query: they run in actions, not per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import MODERATE
from community.forum.models import AccessLevel, Category, Post, StartPolicy, Topic


class ForumError(ValueError):
    """A request the forum cannot carry out (bad input); `message` is translatable."""

    def __init__(self, message) -> None:
        self.message = message
        super().__init__(str(message))


class NotAllowed(PermissionDenied):
    """The member may not do this; `message` tells them why."""

    def __init__(self, message) -> None:
        self.message = message
        super().__init__(str(message))


class RateLimited(NotAllowed):
    """Too much too fast (slow mode, new-member limits)."""


def setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- Who is who -------------------------------------------------------------------------------------------

def permission_rows_sql() -> str:
    """SELECT (app_label, codename, source 'u' or 'g') of one member's permissions; two parameters, both the
    member's id. Raw SQL: compiling the equivalent ORM union cost more than running it, on every page."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    model = get_user_model()  # request.user is a lazy wrapper: type(user) is not the model
    permission, content_type = Permission._meta.db_table, ContentType._meta.db_table
    return (f"SELECT ct.app_label AS app_label, p.codename AS codename, 'u' AS source FROM {permission} p "
            f"JOIN {content_type} ct ON ct.id = p.content_type_id "
            f"JOIN {model.user_permissions.through._meta.db_table} up ON up.permission_id = p.id "
            f"WHERE up.user_id = %s "
            f"UNION ALL SELECT ct.app_label, p.codename, 'g' FROM {permission} p "
            f"JOIN {content_type} ct ON ct.id = p.content_type_id "
            f"JOIN {Group.permissions.through._meta.db_table} gp ON gp.permission_id = p.id "
            f"JOIN {model.groups.through._meta.db_table} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s")


def load_permissions(user, rows: list[tuple[str, str, str]] | None = None) -> None:
    """Fill Django's permission caches on `user` with one query (a UNION) instead of two.

    Same sets as ModelBackend would compute (user and group permissions); pages call this first so that
    `has_perm` and the `perms` template variable cost one query, not two. `rows`: the result of
    permission_rows_sql() when the caller read it already (community.forum.shared reads it with the member's
    state).
    """
    if user is None or not user.is_authenticated or not user.is_active or user.is_superuser:
        return
    if hasattr(user, "_perm_cache"):
        return
    if rows is None:
        with connection.cursor() as cursor:
            cursor.execute(permission_rows_sql(), [user.pk, user.pk])
            rows = cursor.fetchall()
    user._user_perm_cache = {f"{app}.{codename}" for app, codename, source in rows if source == "u"}
    user._group_perm_cache = {f"{app}.{codename}" for app, codename, source in rows if source == "g"}
    user._perm_cache = user._user_perm_cache | user._group_perm_cache


def is_global_moderator(user) -> bool:
    return bool(user is not None and user.is_authenticated and (user.is_staff or user.has_perm(MODERATE)))


def _group_ids(user) -> set[int]:
    cached = getattr(user, "_forum_group_ids", None)
    if cached is None:
        cached = set(user.groups.values_list("id", flat=True))
        user._forum_group_ids = cached
    return cached


def _moderated_category_ids(user) -> set[int]:
    cached = getattr(user, "_forum_moderated_ids", None)
    if cached is None:
        cached = set(user.moderated_categories.values_list("id", flat=True))
        user._forum_moderated_ids = cached
    return cached


def _is_category_moderator(user, category_id: int) -> bool:
    primed = getattr(user, "_forum_category_moderator", None)  # set by selectors from an annotation
    if primed is not None and category_id in primed:
        return primed[category_id]
    return category_id in _moderated_category_ids(user)


def prime_category_moderator(user, category_id: int, value: bool) -> None:
    """Remember (from a query that already knew) whether `user` moderates this category."""
    if user is not None and user.is_authenticated:
        if getattr(user, "_forum_category_moderator", None) is None:
            user._forum_category_moderator = {}
        user._forum_category_moderator[category_id] = bool(value)


def can_moderate(user, category: Category | None = None) -> bool:
    """Global permission accounts.moderate_community, staff, or a moderator of this category."""
    if user is None or not user.is_authenticated:
        return False
    if is_global_moderator(user):
        return True
    return category is not None and _is_category_moderator(user, category.pk)


def is_new_member(user) -> bool:
    """Joined less than FORUM_NEW_MEMBER_HOURS ago (default 24): rate limits apply."""
    hours = setting("FORUM_NEW_MEMBER_HOURS", 24)
    return hours > 0 and user.date_joined > timezone.now() - timedelta(hours=hours)


# --- Reading ----------------------------------------------------------------------------------------------

def can_view_category(user, category: Category) -> bool:
    if category.access_level == AccessLevel.PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    if category.access_level == AccessLevel.MEMBERS:
        return True
    if is_global_moderator(user):
        return True
    if _is_category_moderator(user, category.pk):
        return True
    allowed = {group.pk for group in category.access_groups.all()}
    return bool(allowed & _group_ids(user))


def can_view_topic(user, topic: Topic) -> bool:
    if not can_view_category(user, topic.category):
        return False
    if topic.deleted_at is not None:
        return can_moderate(user, topic.category)
    if not topic.approved:
        return (user is not None and user.is_authenticated and topic.author_id == user.pk) or can_moderate(
            user, topic.category)
    return True


def readers_among(users: Iterable, topic: Topic) -> set[int]:
    """Ids of `users` who may read `topic`, as can_view_topic says, in at most two queries for any number.

    For announcements to a topic's watchers: can_view_topic asks a few queries per member of a restricted
    category (their permissions, groups, moderated categories), which for a thousand watchers was thousands.
    """
    users = [user for user in users if user is not None and user.is_authenticated]
    if topic.deleted_at is not None or not topic.approved or not users:
        return {user.pk for user in users if can_view_topic(user, topic)}  # rare: moderators (and the author)
    category = topic.category
    if category.access_level in (AccessLevel.PUBLIC, AccessLevel.MEMBERS):
        return {user.pk for user in users}
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    app_label, codename = MODERATE.split(".")
    moderate = {"content_type__app_label": app_label, "codename": codename}
    may_read = (Q(is_staff=True) | Q(is_superuser=True, is_active=True) | Q(moderated_categories=category)
                | Q(groups__in=category.access_groups.values("pk"))
                | Q(is_active=True, user_permissions__in=Permission.objects.filter(**moderate))
                | Q(is_active=True, groups__permissions__in=Permission.objects.filter(**moderate)))
    return set(get_user_model().objects.filter(pk__in=[user.pk for user in users]).filter(may_read)
               .values_list("pk", flat=True).distinct())


def can_view_post(user, post: Post) -> bool:
    if not can_view_topic(user, post.topic):
        return False
    if post.is_alive:
        return True
    if post.deleted_at is None and not post.approved and user is not None and user.is_authenticated \
            and post.author_id == user.pk:
        return True  # the member sees their own held post
    return can_moderate(user, post.topic.category)


def visible_category_ids(user) -> set[int] | None:
    """Ids of the categories `user` may read, or None when they may read all of them."""
    primed = getattr(user, "_forum_visible_category_ids", _UNSET)
    if primed is not _UNSET:
        return primed
    return _visible_category_ids(user)


_UNSET = object()


def prime_visible_categories(user, rows: list[tuple[int, str]] | None = None) -> None:
    """Remember visible_category_ids(user) on this user object for the rest of the request (a page asks two or
    three times). Only views call it, on request.user, which lives for one request; long-lived user objects
    (a socket's) are never primed and always ask the database. `rows`: every category's (id, access level),
    when the caller read them already."""
    if user is not None:
        user._forum_visible_category_ids = _visible_category_ids(user, rows)


def _visible_category_ids(user, rows: list[tuple[int, str]] | None = None) -> set[int] | None:
    if is_global_moderator(user):
        return None
    if rows is None:
        with connection.cursor() as cursor:  # raw: every forum page asks, and compiling cost more than running
            cursor.execute(f"SELECT id, access_level FROM {Category._meta.db_table}")
            rows = cursor.fetchall()
    if all(level == AccessLevel.PUBLIC for _id, level in rows):
        return None
    if user is None or not user.is_authenticated:
        return {pk for pk, level in rows if level == AccessLevel.PUBLIC}
    ids = {pk for pk, level in rows if level in (AccessLevel.PUBLIC, AccessLevel.MEMBERS)}
    restricted = [pk for pk, level in rows if level == AccessLevel.ROLES]
    if restricted:
        ids |= set(
            Category.access_groups.through.objects.filter(
                category_id__in=restricted, group__user=user
            ).values_list("category_id", flat=True)
        )
        ids |= _moderated_category_ids(user) & set(restricted)
    if len(ids) == len(rows):
        return None
    return ids


# --- Writing ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    rate_limited: bool = False

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def _email_verified(user) -> bool:
    try:
        from accounts.selectors import can_participate  # the accounts app's own rule, once it exists
    except ImportError:
        can_participate = None
    if can_participate is not None:
        return bool(can_participate(user))
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, verified=True).exists()


def member_refusal(user, *, check_verified: bool = True) -> str:
    """Why this member may not write anything at all, or ''."""
    if user is None or not user.is_authenticated:
        return str(_("Please log in to take part."))
    if user.is_suspended():
        return str(_("Your account is suspended: %(reason)s") % {"reason": user.moderation_reason or "-"})
    if user.is_silenced():
        until = timezone.localtime(user.silenced_until).strftime("%Y-%m-%d %H:%M")
        return str(_("You are silenced until %(until)s and can read but not post. Reason: %(reason)s")
                   % {"until": until, "reason": user.moderation_reason or "-"})
    if check_verified and not _email_verified(user):
        return str(_("Please confirm your email address before posting."))
    return ""


def can_start_topic(user, category: Category, *, full: bool = True) -> Decision:
    reason = member_refusal(user, check_verified=full)
    if reason:
        return Decision(False, reason)
    if not can_view_category(user, category):
        return Decision(False, str(_("You cannot post in this category.")))
    if category.start_policy == StartPolicy.MODERATORS and not can_moderate(user, category):
        return Decision(False, str(_("Only moderators may start topics in this category.")))
    if full:
        reason = _rate_refusal(user)
        if reason:
            return Decision(False, reason, rate_limited=True)
    return ALLOWED


def can_post(user, topic: Topic, *, full: bool = True) -> Decision:
    """May `user` reply in `topic`? `full=False` skips the checks that query (for showing the form)."""
    reason = member_refusal(user, check_verified=full)
    if reason:
        return Decision(False, reason)
    if not can_view_topic(user, topic):
        return Decision(False, str(_("This topic does not exist.")))
    moderator = can_moderate(user, topic.category)
    if topic.locked and not moderator:
        return Decision(False, str(_("This topic is locked: no new replies.")))
    if topic.closed and not moderator:
        return Decision(False, str(_("This topic is closed: no new replies.")))
    if full and not moderator:
        seconds = topic.category.slow_mode_seconds
        if seconds:
            since = timezone.now() - timedelta(seconds=seconds)
            if Post.objects.filter(topic=topic, author=user, created_at__gt=since).exists():
                return Decision(False, str(_("Slow mode: please wait %(seconds)s seconds between posts here.")
                                           % {"seconds": seconds}), rate_limited=True)
        reason = _rate_refusal(user)
        if reason:
            return Decision(False, reason, rate_limited=True)
    return ALLOWED


def _rate_refusal(user) -> str:
    if not is_new_member(user) or is_global_moderator(user):
        return ""
    per_minute = setting("FORUM_NEW_MEMBER_POSTS_PER_MINUTE", 5)
    recent = Post.objects.filter(author=user, created_at__gt=timezone.now() - timedelta(minutes=1)).count()
    if recent >= per_minute:
        return str(_("New members may post %(n)s times a minute; please wait a moment.") % {"n": per_minute})
    return ""


def content_refusal(user, *, html: str, mentions: list[str]) -> str:
    """New-member limits on links, mentions and images in one post, or ''."""
    if user is None or not is_new_member(user) or is_global_moderator(user):
        return ""
    links = html.count("<a ") - html.count('class="mention"')
    images = html.count("<img ")
    limits = [
        (links, setting("FORUM_NEW_MEMBER_MAX_LINKS", 3), _("links")),
        (len(mentions), setting("FORUM_NEW_MEMBER_MAX_MENTIONS", 5), _("mentions")),
        (images, setting("FORUM_NEW_MEMBER_MAX_IMAGES", 2), _("images")),
    ]
    for count, limit, what in limits:
        if count > limit:
            return str(_("New members may put at most %(limit)s %(what)s in a post.")
                       % {"limit": limit, "what": what})
    return ""


def require(decision: Decision) -> None:
    if not decision:
        if decision.rate_limited:
            raise RateLimited(decision.reason)
        raise NotAllowed(decision.reason)
