"""Reads of the forum. Every page is a fixed number of queries, whatever the number of rows it shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (BigIntegerField, BooleanField, CharField, Count, Exists, F, FilteredRelation, OuterRef, Q,
                              QuerySet, Subquery)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from community import realtime
from community.forum import permissions
from community.forum.models import (
    POSTS_PER_PAGE,
    TOPICS_PER_PAGE,
    Bookmark,
    Category,
    Draft,
    Flag,
    Post,
    Reaction,
    Subscription,
    SubscriptionLevel,
    Topic,
    TopicReadState,
)
from community.forum.permissions import visible_category_ids  # noqa: F401  (the live layer imports it here)
from config.db.rows import one_row

PERIODS = {"day": 1, "week": 7, "month": 30, "year": 365, "all": None}
NEW_TOPIC_DAYS = 14


def topic_visible_to(user, topic_id: int) -> bool:
    """May `user` read topic `topic_id`? (The live layer asks before joining a topic stream.)"""
    topic = Topic.objects.select_related("category").filter(pk=topic_id).first()
    return topic is not None and permissions.can_view_topic(user, topic)


def categories_for(user) -> list[Category]:
    ids = visible_category_ids(user)
    qs = Category.objects.ordered()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs)


def category_for(user, slug: str) -> Category:
    category = one_row(Category, "slug", slug)  # every category page asks: raw (config/db/rows.py)
    if category is None or not permissions.can_view_category(user, category):
        raise Http404
    return category


# --- Live stream heads --------------------------------------------------------------------------------------
#
# A page tells static/js/live.js which streams to follow and the newest event id it already reflects
# ("topic.12@41", the format of community.live's `{% live_streams %}` tag), so nothing published between
# rendering and connecting is missed. The head must be read no later than the page's own rows: read after them,
# an event committed in between would be counted as seen though the page does not show it. So it is read in
# the same query as the rows (the topic row, the list page), not by the tag at render time, and costs no query.

def _stream_head_column(stream: str) -> RawSQL:
    from community.live.models import StreamCounter

    return RawSQL(f"SELECT c.last_seq FROM {StreamCounter._meta.db_table} c WHERE c.stream = %s", (stream,),
                  output_field=BigIntegerField())


def live_spec(stream: str, head: int | None) -> str:
    """The data-live-streams value of one stream: "<stream>@<head>"."""
    return f"{stream}@{int(head or 0)}"


def list_stream(category: Category | None = None) -> str:
    """The stream a topic list follows: its category's, or latest."""
    return realtime.category_stream(category.pk) if category is not None else realtime.latest_stream()


def _page_live_spec(page_obj: Page, stream: str) -> str:
    rows = page_obj.object_list
    if rows:
        return live_spec(stream, getattr(rows[0], "live_head", None))
    from community.live.selectors import stream_heads  # an empty page read no rows: one small query

    return live_spec(stream, stream_heads([stream])[stream])


# --- Topic lists -------------------------------------------------------------------------------------------

# What a list row shows (presentation.topic_rows, decorate_topics): the joined users' and categories' other
# columns (bios, rendered bios, password hashes...) are not read at all.
LIST_COLUMNS = (
    "title", "slug", "category_id", "author_id", "pinned", "locked", "closed", "approved", "view_count",
    "reply_count", "last_posted_at", "last_poster_id", "last_post_number", "accepted_answer_id", "merged_into_id",
    "deleted_at", "created_at", "like_count",
    "category__name", "category__slug", "category__colour", "category__access_level",
    "last_poster__display_name", "last_poster__handle", "last_poster__deleted_at",
)


def _list_rows(qs: QuerySet) -> QuerySet:
    return qs.select_related("category", "last_poster").only(*LIST_COLUMNS)


def _with_member_state(qs: QuerySet, user) -> QuerySet:
    if not (user and user.is_authenticated):
        return qs
    reads = TopicReadState.objects.filter(user=user, topic=OuterRef("pk"))
    return qs.annotate(last_read=Subquery(reads.values("last_read_post_number")[:1]))


def attach_tags(topics: list[Topic]) -> list[Topic]:
    """Give each topic `.tag_rows` [(name, slug)] with one query.

    Cheaper than `prefetch_related("tags")`: taggit's prefetch builds a filtered queryset per topic.
    """
    from taggit.models import TaggedItem

    by_topic: dict[int, list[tuple[str, str]]] = {topic.pk: [] for topic in topics}
    if by_topic:
        from django.contrib.contenttypes.models import ContentType

        topic_type = ContentType.objects.get_for_model(Topic)  # cached per process: no join on content types
        rows = (TaggedItem.objects.filter(content_type_id=topic_type.pk, object_id__in=list(by_topic))
                .order_by("pk").values_list("object_id", "tag__name", "tag__slug"))
        for object_id, name, slug in rows:
            by_topic[object_id].append((name, slug))
    for topic in topics:
        topic.tag_rows = by_topic[topic.pk]
    return topics


def _page_with_tags(paginator: Paginator, page: int | str, stream: str | None = None) -> Page:
    """A page of topics with tags; with `stream`, also `page_obj.live_streams` (see _stream_head_column)."""
    page_obj = paginator.get_page(page)
    page_obj.object_list = attach_tags(list(page_obj.object_list))
    if stream is not None:
        page_obj.live_streams = _page_live_spec(page_obj, stream)
    return page_obj


def topic_list(user, *, kind: str = "latest", category: Category | None = None, tag: str | None = None,
               period: str = "all", page: int | str = 1, muted: tuple[int, ...] | None = None,
               member_state: bool = True) -> Page:
    """A page of topics: latest (pinned first), top (by reactions and replies in a period), unanswered.
    `.live_streams` is the list's stream (category or latest) with its head, read with the rows.

    `muted`: the member's muted topics when the caller read them already; `member_state=False` leaves out the
    member's read marks (community.forum.shared lays them over rows it shares between members).
    """
    qs = Topic.objects.visible_to(user).filter(merged_into__isnull=True)
    if category is not None:
        qs = qs.filter(category=category)
    if tag:
        qs = qs.filter(tags__slug=tag)
    if user and user.is_authenticated and category is None and kind == "latest":
        # The member's muted topics are few: read them first rather than test every topic with NOT EXISTS
        # (the page count's COUNT(*) did that for the whole forum).
        if muted is None:
            muted = tuple(Subscription.objects.filter(user=user, level=SubscriptionLevel.MUTED)
                          .values_list("topic_id", flat=True))
        if muted:
            qs = qs.exclude(pk__in=muted)
    if kind == "top":
        days = PERIODS.get(period, None)
        if days:
            qs = qs.filter(created_at__gte=timezone.now() - timedelta(days=days))
        qs = qs.order_by("-like_count", "-reply_count", "-view_count", "-pk")
    elif kind == "unanswered":
        qs = qs.filter(reply_count=0, closed=False).order_by("-created_at", "-pk")
    elif category is not None or kind == "latest":
        qs = qs.order_by("-pinned", "-last_posted_at", "-pk")
    stream = list_stream(category)
    # Count and pick the page's ids on the topic table alone (read off the list index in order), then read
    # those rows with their joins and the member's state in the same query, as `id IN (the page's ids)`.
    # With the joins in the sorted query, PostgreSQL without fresh statistics joined every topic to its
    # category and last poster before sorting them all (10 ms for 2,000 topics).
    ordering = list(qs.query.order_by) or ["-last_posted_at", "-pk"]
    page_obj = Paginator(qs.values_list("pk", flat=True), TOPICS_PER_PAGE).get_page(page)
    rows = Topic.objects.filter(pk__in=page_obj.object_list)
    if member_state:
        rows = _with_member_state(rows, user)
    page_obj.object_list = _list_rows(rows).annotate(live_head=_stream_head_column(stream)).order_by(*ordering)
    page_obj.object_list = attach_tags(list(page_obj.object_list))
    page_obj.live_streams = _page_live_spec(page_obj, stream)
    return page_obj


@dataclass
class Tracking:
    new: int = 0
    unread: int = 0


def tracking_counts(user) -> Tracking:
    """'New' topics (recent, never opened) and 'unread' ones (opened, with posts after the last read).

    One query over the visible topics, each joined to the member's read state (if any) by its unique index.
    """
    if not (user and user.is_authenticated):
        return Tracking()
    since = max(user.date_joined, timezone.now() - timedelta(days=NEW_TOPIC_DAYS))
    # One pass: the member's read state joined on its (user, topic) unique index; no correlated NOT EXISTS.
    counts = (Topic.objects.visible_to(user).filter(merged_into__isnull=True)
              .annotate(mine=FilteredRelation("read_states", condition=Q(read_states__user=user)))
              .aggregate(new=Count("pk", filter=Q(created_at__gte=since, mine__isnull=True) & ~Q(author=user)),
                         unread=Count("pk", filter=Q(mine__last_read_post_number__lt=F("last_post_number")))))
    return Tracking(new=counts["new"] or 0, unread=counts["unread"] or 0)


def unread_topics(user, *, page: int | str = 1) -> Page:
    reads = TopicReadState.objects.filter(user=user, topic=OuterRef("pk"))
    qs = (Topic.objects.visible_to(user).filter(merged_into__isnull=True)
          .annotate(last_read=Subquery(reads.values("last_read_post_number")[:1]))
          .filter(last_read__isnull=False, last_read__lt=F("last_post_number"))
          .order_by("-last_posted_at"))
    qs = _list_rows(qs).annotate(live_head=_stream_head_column(realtime.latest_stream()))
    return _page_with_tags(Paginator(qs, TOPICS_PER_PAGE), page, realtime.latest_stream())


# --- The topic page ----------------------------------------------------------------------------------------

@dataclass
class TopicPage:
    topic: Topic
    posts: list[Post]
    page: int
    page_count: int
    last_read: int | None
    subscription_level: str
    draft: str
    moderator: bool
    my_reactions: dict[int, set[str]] = field(default_factory=dict)
    bookmarked: set[int] = field(default_factory=set)

    @property
    def first_unread(self) -> int | None:
        if self.last_read is None or self.last_read >= self.topic.last_post_number:
            return None
        return self.last_read + 1

    @property
    def page_numbers(self) -> range:
        return range(1, self.page_count + 1)

    @property
    def page_links(self) -> SafeString:
        """The numbered page links (the current one a span): a template loop cost ~1 ms on a 50-page topic."""
        return mark_safe("".join(f'<span aria-current="page">{n}</span>' if n == self.page
                                 else f'<a href="?page={n}">{n}</a>' for n in self.page_numbers))

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.page_count else None


def page_of(number: int) -> int:
    return max(1, (number - 1) // POSTS_PER_PAGE + 1)


# The member's state on the topic page, as plain correlated subqueries. Same result as Subquery()/Exists()
# annotations, but compiling those took more time than running the whole query (measured: ~4 ms a page).
def _member_topic_columns(user_id: int) -> dict[str, RawSQL]:
    topic = Topic._meta.db_table
    moderators = Category.moderators.through._meta.db_table
    return {
        "last_read": RawSQL(
            f"SELECT rs.last_read_post_number FROM {TopicReadState._meta.db_table} rs "
            f"WHERE rs.topic_id = {topic}.id AND rs.user_id = %s", (user_id,)),
        "subscription_level": RawSQL(
            f"SELECT s.level FROM {Subscription._meta.db_table} s "
            f"WHERE s.topic_id = {topic}.id AND s.user_id = %s", (user_id,)),
        "my_draft": RawSQL(
            f"SELECT d.raw FROM {Draft._meta.db_table} d WHERE d.topic_id = {topic}.id AND d.user_id = %s",
            (user_id,)),
        "is_category_moderator": RawSQL(
            f"EXISTS(SELECT 1 FROM {moderators} m WHERE m.category_id = {topic}.category_id AND m.user_id = %s)",
            (user_id,), output_field=BooleanField()),
    }


def _member_post_columns(user_id: int) -> dict[str, RawSQL]:
    post = Post._meta.db_table
    aggregate = "string_agg(r.kind, ',')" if connection.vendor == "postgresql" else "group_concat(r.kind, ',')"
    return {
        "my_kinds": RawSQL(
            f"SELECT {aggregate} FROM {Reaction._meta.db_table} r WHERE r.post_id = {post}.id AND r.user_id = %s",
            (user_id,), output_field=CharField()),
        "my_bookmark": RawSQL(
            f"EXISTS(SELECT 1 FROM {Bookmark._meta.db_table} b WHERE b.post_id = {post}.id AND b.user_id = %s)",
            (user_id,), output_field=BooleanField()),
    }


def _topic_rows(pk: int) -> QuerySet:
    return Topic.objects.select_related("category", "author", "accepted_answer__author").annotate(
        live_head=_stream_head_column(realtime.topic_stream(pk)))


def topic_row(pk: int) -> Topic | None:
    """The topic as every reader sees it, with `.live_head` (its stream's head, read in the same query)."""
    return next(iter(_topic_rows(pk).filter(pk=pk).order_by()[:1]), None)


def topic_for(user, pk: int) -> Topic:
    """The topic with the member's read state, subscription, draft and category-moderator flag, in one query;
    also `.live_streams`, the topic stream with its head read in that query (before the posts)."""
    stream = realtime.topic_stream(pk)
    qs = _topic_rows(pk)
    if user and user.is_authenticated:
        permissions.load_permissions(user)
        qs = qs.annotate(**_member_topic_columns(user.pk))
    topic = next(iter(qs.filter(pk=pk).order_by()[:1]), None)
    if topic is None:
        raise Http404
    topic.live_streams = live_spec(stream, topic.live_head)
    if user and user.is_authenticated:
        permissions.prime_category_moderator(user, topic.category_id, topic.is_category_moderator)
    if topic.merged_into_id and permissions.can_view_category(user, topic.category):
        return topic  # the view sends the reader on to the topic it was merged into
    if not permissions.can_view_topic(user, topic):
        raise Http404
    attach_tags([topic])
    return topic


POST_UNSHOWN = ("raw", "search_vector", "reply_to__raw", "reply_to__html", "reply_to__search_vector",
                "author__bio", "author__bio_html", "author__password")


def _page_posts(topic: Topic, page: int) -> QuerySet:
    low, high = (page - 1) * POSTS_PER_PAGE + 1, page * POSTS_PER_PAGE
    # The page shows a replied-to post's number only; the markdown source and search vectors are never shown.
    return Post.objects.filter(topic=topic, number__gte=low, number__lte=high).select_related(
        "author", "reply_to").defer(*POST_UNSHOWN).order_by("number")


def visible_posts(topic: Topic, page: int) -> list[Post]:
    """The posts of one page that every member sees (alive, approved, not hidden); `.topic` is not set."""
    return list(_page_posts(topic, page).filter(deleted_at__isnull=True, hidden=False, approved=True))


def topic_page(user, topic: Topic, *, page: int) -> TopicPage:
    """Posts of one page (numbers (page-1)*20+1 .. page*20), with the viewer's reactions and bookmarks."""
    page_count = topic.page_count
    if page < 1 or page > page_count:
        raise Http404
    moderator = permissions.can_moderate(user, topic.category)
    qs = _page_posts(topic, page)
    if not moderator:
        visible = Q(deleted_at__isnull=True, hidden=False, approved=True)
        if user and user.is_authenticated:
            visible |= Q(deleted_at__isnull=True, approved=False, author=user)
        qs = qs.filter(visible)
    authenticated = bool(user and user.is_authenticated)
    if authenticated:
        qs = qs.annotate(**_member_post_columns(user.pk))
    posts = list(qs)
    my_reactions: dict[int, set[str]] = {}
    bookmarked: set[int] = set()
    for post in posts:
        post.topic = topic
        if authenticated:
            my_reactions[post.pk] = set(post.my_kinds.split(",")) if post.my_kinds else set()
            if post.my_bookmark:
                bookmarked.add(post.pk)
    return TopicPage(
        topic=topic, posts=posts, page=page, page_count=page_count,
        last_read=getattr(topic, "last_read", None),
        subscription_level=getattr(topic, "subscription_level", None) or SubscriptionLevel.NORMAL,
        draft=getattr(topic, "my_draft", None) or "", moderator=moderator,
        my_reactions=my_reactions, bookmarked=bookmarked,
    )


def record_view(user, topic_page: TopicPage) -> None:
    """Advance the member's read state to the last post shown (at most two writes, often none)."""
    topic = topic_page.topic
    shown = max((p.number for p in topic_page.posts), default=0)
    if not (user and user.is_authenticated):
        count_anonymous_view(topic.pk)
        return
    if topic_page.last_read is None:
        TopicReadState.objects.bulk_create(
            [TopicReadState(user=user, topic=topic, last_read_post_number=shown)], ignore_conflicts=True)
        Topic.objects.filter(pk=topic.pk).update(view_count=F("view_count") + 1)
    elif shown > topic_page.last_read:
        TopicReadState.objects.filter(user=user, topic=topic, last_read_post_number__lt=shown).update(
            last_read_post_number=shown, updated_at=timezone.now())


ANONYMOUS_VIEWS_PER_WRITE = 10


def count_anonymous_view(topic_id: int) -> None:
    """Anonymous page views are counted in the cache and written ten at a time (one write per ten views)."""
    key = f"forum:anonymous-views:{topic_id}"
    if cache.add(key, 1, timeout=None):
        views = 1
    else:
        try:
            views = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.add(key, 1, timeout=None)
            views = 1
    if views % ANONYMOUS_VIEWS_PER_WRITE == 0:
        Topic.objects.filter(pk=topic_id).update(view_count=F("view_count") + ANONYMOUS_VIEWS_PER_WRITE)


def post_for(user, pk: int) -> Post:
    """A post by id the member may see (for forms acting on it), or 404."""
    post = Post.objects.select_related("topic__category", "author", "topic__author").filter(pk=pk).first()
    if post is None or not permissions.can_view_post(user, post):
        raise Http404
    return post


# --- Bookmarks, review queue, audit log --------------------------------------------------------------------

def bookmarks_of(user, *, page: int | str = 1) -> Page:
    ids = visible_category_ids(user)
    qs = Bookmark.objects.filter(user=user, post__deleted_at__isnull=True, post__topic__deleted_at__isnull=True)
    if ids is not None:
        qs = qs.filter(post__topic__category_id__in=ids)
    qs = qs.select_related("post__topic__category", "post__author").order_by("-created_at")
    return Paginator(qs, TOPICS_PER_PAGE).get_page(page)


def review_queue(user, *, page: int | str = 1) -> Page:
    """Posts waiting for a moderator: held for approval, or with open flags (auto-hidden ones included)."""
    open_flags = Flag.objects.open().filter(post=OuterRef("pk"))
    qs = Post.objects.filter(deleted_at__isnull=True).filter(Q(approved=False) | Q(Exists(open_flags)))
    if not permissions.is_global_moderator(user):
        qs = qs.filter(topic__category__moderators=user)
    qs = (qs.select_related("topic__category", "author").prefetch_related("flags__user")
          .order_by("created_at"))
    return Paginator(qs, TOPICS_PER_PAGE).get_page(page)


def audit_log(*, page: int | str = 1) -> Page:
    from accounts.models import AuditLog

    qs = AuditLog.objects.filter(action__startswith="forum.").select_related("actor").order_by("-created_at")
    return Paginator(qs, 50).get_page(page)
