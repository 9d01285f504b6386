"""Members' forum pages from data every member shares, cached by the head of the page's live stream.

Anonymous readers get whole pages from community.forum.pagecache. A member's page carries their own state (read
marks, reactions, bookmarks, draft, edit links on their posts), so it is never cached whole; but most of it is the
same for every member: the rows of a topic list, the topic and its posts, and the posts' HTML. This module keeps
those in the cache, keyed like the anonymous pages:

- the head (newest event id) of the stream the page follows: every change a page shows publishes on that stream
  inside its transaction (pagecache's docstring lists them), so a new head means fresh data;
- what else selects the rows: page number, the categories the member may read, the topics they muted; and for
  HTML, the language, time zone and whether they may reply.

The member's own state is read fresh on every request, in ONE raw query (no ORM compilation, which cost more
than running the queries), and laid over the shared data. Posts the member wrote, reacted to or bookmarked are
rendered for them alone; every other post's HTML is shared. A member with something only they can see (a held
topic or post) or with moderation rights on the page takes the ordinary, uncached path (selectors).
What no event announces (a member renaming themselves, view counts) is at most SHARED_SECONDS old, as for
anonymous pages. Setting FORUM_SHARED_CACHE (default True) turns it off.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import Http404
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from community import realtime
from community.forum import permissions, selectors
from community.forum.models import (
    POSTS_PER_PAGE,
    TOPICS_PER_PAGE,
    Bookmark,
    Category,
    Draft,
    Post,
    Reaction,
    Subscription,
    SubscriptionLevel,
    Topic,
    TopicReadState,
)
from community.forum.pagecache import CSRF_MARK
from community.forum.presentation import Links, decorate, decorate_topics, posts_html, rows_html, topic_row_parts

SHARED_SECONDS = 30
# Renders posts as any member who is not their author, has not reacted and has not bookmarked them.
_NEUTRAL_VIEWER = SimpleNamespace(pk=-1, is_authenticated=True)


def enabled() -> bool:
    return bool(getattr(settings, "FORUM_SHARED_CACHE", True))


def _key(*parts) -> str:
    return "forum:shared:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _aggregate(expression: str) -> str:
    """Comma-joined values of `expression` over a subquery's rows, in this database's dialect."""
    if connection.vendor == "postgresql":
        return f"string_agg(CAST({expression} AS TEXT), ',')"
    return f"group_concat({expression}, ',')"


def _split(value: str | None) -> list[str]:
    return value.split(",") if value else []


def _permissions_sql() -> str:
    """A column with the member's permissions (two parameters: their id twice), see _permission_rows."""
    joined = _aggregate("x.app_label || '.' || x.codename || ':' || x.source")
    return f"(SELECT {joined} FROM ({permissions.permission_rows_sql()}) x)"


def _permission_rows(value: str | None) -> list[tuple[str, str, str]]:
    rows = []
    for item in _split(value):
        name, source = item.rsplit(":", 1)
        app, codename = name.split(".", 1)
        rows.append((app, codename, source))
    return rows


def _head_sql() -> str:
    from community.live.models import StreamCounter

    return f"(SELECT c.last_seq FROM {StreamCounter._meta.db_table} c WHERE c.stream = %s)"


# --- The topic page ---------------------------------------------------------------------------------------

@dataclass
class TopicState:
    """What one member's topic page needs that no other member shares, read in one query."""

    head: int
    access_level: str | None  # of the topic's category, fresh; None: no such topic
    last_read: int | None
    level: str | None
    draft: str
    moderates_category: bool
    holds_posts: bool  # the member has posts waiting for approval in this topic: only they see them
    reactions: dict[int, set[str]] = field(default_factory=dict)  # by post number, on the page asked for
    bookmarks: set[int] = field(default_factory=set)  # post numbers, on the page asked for


def topic_state(user, topic_id: int, page: int) -> TopicState:
    topic, post = Topic._meta.db_table, Post._meta.db_table
    low, high = (page - 1) * POSTS_PER_PAGE + 1, page * POSTS_PER_PAGE
    moderators = Category.moderators.through._meta.db_table
    sql = f"""SELECT {_head_sql()},
        (SELECT c.access_level FROM {Category._meta.db_table} c JOIN {topic} t ON t.category_id = c.id
          WHERE t.id = %s),
        (SELECT rs.last_read_post_number FROM {TopicReadState._meta.db_table} rs
          WHERE rs.topic_id = %s AND rs.user_id = %s),
        (SELECT s.level FROM {Subscription._meta.db_table} s WHERE s.topic_id = %s AND s.user_id = %s),
        (SELECT d.raw FROM {Draft._meta.db_table} d WHERE d.topic_id = %s AND d.user_id = %s),
        EXISTS(SELECT 1 FROM {moderators} m JOIN {topic} t ON t.category_id = m.category_id
          WHERE t.id = %s AND m.user_id = %s),
        EXISTS(SELECT 1 FROM {post} p WHERE p.topic_id = %s AND p.author_id = %s AND NOT p.approved
          AND p.deleted_at IS NULL),
        (SELECT {_aggregate("p.number || ':' || r.kind")} FROM {Reaction._meta.db_table} r
          JOIN {post} p ON p.id = r.post_id
          WHERE p.topic_id = %s AND p.number BETWEEN %s AND %s AND r.user_id = %s),
        (SELECT {_aggregate("p.number")} FROM {Bookmark._meta.db_table} b JOIN {post} p ON p.id = b.post_id
          WHERE p.topic_id = %s AND p.number BETWEEN %s AND %s AND b.user_id = %s),
        {_permissions_sql()}"""
    uid = user.pk
    params = [realtime.topic_stream(topic_id), topic_id, topic_id, uid, topic_id, uid, topic_id, uid, topic_id, uid,
              topic_id, uid, topic_id, low, high, uid, topic_id, low, high, uid, uid, uid]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        head, level_access, last_read, level, draft, moderates, holds, kinds, marks, perms = cursor.fetchone()
    permissions.load_permissions(user, _permission_rows(perms))
    reactions: dict[int, set[str]] = {}
    for item in _split(kinds):
        number, kind = item.split(":", 1)
        reactions.setdefault(int(number), set()).add(kind)
    return TopicState(head=int(head or 0), access_level=level_access, last_read=last_read, level=level,
                      draft=draft or "", moderates_category=bool(moderates), holds_posts=bool(holds),
                      reactions=reactions, bookmarks={int(n) for n in _split(marks)})


def _shared_topic(topic_id: int, head: int) -> Topic:
    key = _key("topic", topic_id, head)
    topic = cache.get(key)
    if topic is None:
        topic = selectors.topic_row(topic_id)
        if topic is None:
            raise Http404
        selectors.attach_tags([topic])
        cache.set(_key("topic", topic_id, topic.live_head), topic, SHARED_SECONDS)
    return topic


def _shared_posts(topic: Topic, page: int) -> list[Post]:
    """The posts every member sees on this page (alive, approved, not hidden), without their topic."""
    key = _key("posts", topic.pk, topic.live_head, page)
    posts = cache.get(key)
    if posts is None:
        posts = selectors.visible_posts(topic, page)
        cache.set(key, posts, SHARED_SECONDS)
    return posts


def member_topic(user, topic_id: int, page: int) -> tuple[Topic, TopicState]:
    """The topic for a signed-in member (shared), with their own state laid over; 404 if they may not read it.

    Like selectors.topic_for, a topic merged away is returned to a member who may read its category (the view
    sends them on). `page` is the page whose reactions and bookmarks the state holds (see member_topic_page).
    """
    state = topic_state(user, topic_id, page)  # also fills the member's permissions
    if state.access_level is None:
        raise Http404
    topic = _shared_topic(topic_id, state.head)
    topic.category.access_level = state.access_level  # fresh: a category made private closes at once
    topic.live_streams = selectors.live_spec(realtime.topic_stream(topic_id), topic.live_head)
    topic.last_read, topic.subscription_level, topic.my_draft = state.last_read, state.level, state.draft
    topic.is_category_moderator = state.moderates_category
    permissions.prime_category_moderator(user, topic.category_id, state.moderates_category)
    if topic.merged_into_id and permissions.can_view_category(user, topic.category):
        return topic, state
    if not permissions.can_view_topic(user, topic):
        raise Http404
    return topic, state


def member_topic_page(user, topic: Topic, state: TopicState, page: int) -> tuple[selectors.TopicPage, bool]:
    """The posts of one page for a member, and whether they are the shared ones (then so can their HTML be)."""
    if state.holds_posts or permissions.can_moderate(user, topic.category):
        return selectors.topic_page(user, topic, page=page), False  # they see posts others do not
    if page < 1 or page > topic.page_count:
        raise Http404
    posts = _shared_posts(topic, page)
    for post in posts:
        post.topic = topic
    data = selectors.TopicPage(
        topic=topic, posts=posts, page=page, page_count=topic.page_count, last_read=state.last_read,
        subscription_level=state.level or SubscriptionLevel.NORMAL, draft=state.draft, moderator=False,
        my_reactions={post.pk: state.reactions.get(post.number, set()) for post in posts},
        bookmarked={post.pk for post in posts if post.number in state.bookmarks},
    )
    return data, True


def member_posts_html(user, data: selectors.TopicPage, links: Links, *, csrf_token: str, posting,
                      can_accept: bool) -> list[str]:
    """Each post's HTML: shared for posts the member has nothing to do with, their own for the rest."""
    topic = data.topic
    key = _key("posts-html", topic.pk, topic.live_head, data.page, translation.get_language(),
               timezone.get_current_timezone_name(), bool(posting), can_accept)
    shared = cache.get(key)
    if shared is None:
        decorate(data.posts, links, viewer=_NEUTRAL_VIEWER)
        shared = [str(html) for html in posts_html(data.posts, links, csrf_token=CSRF_MARK, signed_in=True,
                                                   posting=posting, moderator=False, can_accept=can_accept)]
        cache.set(key, shared, SHARED_SECONDS)
    own = [post for post in data.posts
           if post.author_id == user.pk or data.my_reactions.get(post.pk) or post.pk in data.bookmarked]
    if own:
        decorate(own, links, mine=data.my_reactions, bookmarked=data.bookmarked, viewer=user)
        theirs = dict(zip((post.pk for post in own),
                          posts_html(own, links, csrf_token=csrf_token, signed_in=True, posting=posting,
                                     moderator=False, can_accept=can_accept)))
    else:
        theirs = {}
    return [theirs.get(post.pk) or html.replace(CSRF_MARK, csrf_token) for post, html in zip(data.posts, shared)]


def page_posts_html(user, data: selectors.TopicPage, links: Links, *, from_shared: bool, csrf_token: str, posting,
                    can_accept: bool) -> list[str]:
    """Each post's HTML for this reader: from what members share when the posts came from there
    (member_posts_html), otherwise rendered for them (moderators, anonymous readers, members with held posts)."""
    if from_shared:
        return member_posts_html(user, data, links, csrf_token=csrf_token, posting=posting, can_accept=can_accept)
    decorate(data.posts, links, mine=data.my_reactions, bookmarked=data.bookmarked, viewer=user,
             moderator=data.moderator)
    return posts_html(data.posts, links, csrf_token=csrf_token, signed_in=user.is_authenticated, posting=posting,
                      moderator=data.moderator, can_accept=can_accept)


# --- Topic lists ------------------------------------------------------------------------------------------

@dataclass
class ListState:
    head: int
    holds_topics: bool  # the member has topics waiting for approval: only they see them in lists
    muted: tuple[int, ...]
    reads: str  # how many topics the member has read, and when last: changes when their read marks do
    categories: list[tuple[int, str]]  # every category's (id, access level), for permissions


def list_state(user, stream: str) -> ListState:
    """The member's side of a topic list, in one query; also fills their permissions and visible categories."""
    topic, reads = Topic._meta.db_table, TopicReadState._meta.db_table
    sql = f"""SELECT {_head_sql()},
        EXISTS(SELECT 1 FROM {topic} t WHERE t.author_id = %s AND NOT t.approved AND t.deleted_at IS NULL),
        (SELECT {_aggregate("s.topic_id")} FROM {Subscription._meta.db_table} s
          WHERE s.user_id = %s AND s.level = %s),
        (SELECT COUNT(*) FROM {reads} rs WHERE rs.user_id = %s),
        (SELECT MAX(rs.updated_at) FROM {reads} rs WHERE rs.user_id = %s),
        (SELECT {_aggregate("c.id || ':' || c.access_level")} FROM {Category._meta.db_table} c),
        {_permissions_sql()}"""
    uid = user.pk
    with connection.cursor() as cursor:
        cursor.execute(sql, [stream, uid, uid, SubscriptionLevel.MUTED, uid, uid, uid, uid])
        head, holds, muted, read_count, read_last, categories, perms = cursor.fetchone()
    permissions.load_permissions(user, _permission_rows(perms))  # before the categories: moderators see all
    rows = [(int(pk), level) for pk, level in (item.split(":", 1) for item in _split(categories))]
    permissions.prime_visible_categories(user, rows)
    return ListState(head=int(head or 0), holds_topics=bool(holds),
                     muted=tuple(sorted(int(pk) for pk in _split(muted))), reads=f"{read_count}@{read_last}",
                     categories=rows)


def _last_reads(user, topic_ids: list[int]) -> dict[int, int]:
    """The member's last read post number of each listed topic they opened, in one query."""
    if not topic_ids:
        return {}
    marks = ", ".join(["%s"] * len(topic_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT topic_id, last_read_post_number FROM {TopicReadState._meta.db_table} "
                       f"WHERE user_id = %s AND topic_id IN ({marks})", [user.pk, *topic_ids])
        return dict(cursor.fetchall())


@dataclass
class MemberList:
    page: Page  # its object_list holds the rows' RowParts (the template only asks whether there are any)
    state: ListState
    rows: SafeString


def member_topic_list(user, *, category: Category | None, page: int | str) -> MemberList | None:
    """The latest topics (of a category or all) for a member, or None when only the ordinary path can tell.

    The rows' HTML is shared (per language and time zone); the member's marks ("new", the jump to the first
    unread post) are put in from their read marks.
    """
    stream = selectors.list_stream(category)
    state = list_state(user, stream)
    if state.holds_topics:
        return None
    muted = state.muted if category is None else ()
    visible = permissions.visible_category_ids(user)
    key = _key("list", stream, state.head, category.pk if category else None, tuple(sorted(visible or ())),
               visible is None, muted, str(page), translation.get_language(), timezone.get_current_timezone_name())
    cached = cache.get(key)
    if cached is None:
        page_obj = selectors.topic_list(user, kind="latest", category=category, page=page, muted=muted,
                                        member_state=False)
        decorate_topics(page_obj.object_list)
        cached = (page_obj.paginator.count, page_obj.number, page_obj.live_streams,
                  topic_row_parts(page_obj.object_list))
        cache.set(key, cached, SHARED_SECONDS)
    count, number, live_streams, parts = cached
    paginator = Paginator(range(count), TOPICS_PER_PAGE)  # counts without a query: range() has a len()
    page_obj = Page(parts, number, paginator)
    page_obj.live_streams = live_streams
    reads = _last_reads(user, [row.topic_id for row in parts])
    return MemberList(page=page_obj, state=state, rows=rows_html(parts, last_read=reads, member_id=user.pk))


def member_tracking(user, state: ListState) -> selectors.Tracking:
    """The member's 'new' and 'unread' counts (`state`: their list state on the latest stream), recomputed when
    the forum or their read marks change."""
    if state.holds_topics:
        return selectors.tracking_counts(user)
    visible = permissions.visible_category_ids(user)
    key = _key("tracking", user.pk, state.head, state.reads, tuple(sorted(visible or ())), visible is None)
    counts = cache.get(key)
    if counts is None:
        counts = selectors.tracking_counts(user)
        cache.set(key, counts, SHARED_SECONDS)
    return counts
