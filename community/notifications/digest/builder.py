"""Build personalised digests for many members at once, in a constant number of queries per chunk.

`DigestBuilder(members, now).build()` loads everything a chunk of members needs in about 16 queries (whatever
the chunk size and however many categories or tags they follow) and assembles one `Digest` per member in
Python. `build_digest(member, now)` is the same for one member.

What a digest holds, all since the member's last digest (or one period back):
- the best unread topics in the categories they watch (forum Subscription, level "watching") and the tags
  they follow (content TagFollow), in categories they may read, not deleted, not muted;
- new answers to the topics they started (unread posts by others);
- their unread notifications whose kind they chose to get "in the digest";
- upcoming events (next two weeks) online or in a time zone within three hours of theirs;
- new tips (content articles in their language) they have not read.
The events and content apps are optional: their parts are skipped when the apps are absent.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import quote
from typing import Any, NamedTuple

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef
from django.urls import NoReverseMatch, reverse

from accounts.models import DigestFrequency, MemberSettings, User

TOPICS_PER_DIGEST = 5
ANSWERS_PER_DIGEST = 5
NOTIFICATIONS_PER_DIGEST = 10
EVENTS_PER_DIGEST = 3
TIPS_PER_DIGEST = 3
CANDIDATE_TOPICS = 1000  # best recent topics loaded per chunk, at most
CANDIDATES_PER_MEMBER = 40  # ... and at most this many per member of the chunk
EVENT_HORIZON = timedelta(days=14)
NEAR_ZONE = timedelta(hours=3)
PERIODS = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}
MAX_LOOKBACK = 4  # periods: a member away for months gets the last few periods, not everything


def _model(app_label: str, name: str):
    """A model of an optional app (events, content), or None when the app or model is absent."""
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _url_of(obj) -> str:
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return ""


class _Topic(NamedTuple):
    pk: int
    title: str
    slug: str
    category_id: int
    author_id: int | None
    last_post_number: int
    reply_count: int
    like_count: int
    last_posted_at: datetime
    merged_into_id: int | None
    last_read: int | None = None  # filled by the one-member query


_TOPIC_FIELDS = ("id", "title", "slug", "category_id", "author_id", "last_post_number", "reply_count", "like_count",
                 "last_posted_at", "merged_into_id")


@dataclass
class DigestTopic:
    id: int
    title: str
    url: str
    category: str
    unread_posts: int
    reply_count: int
    like_count: int


@dataclass
class DigestAnswer:
    topic_id: int
    title: str
    url: str
    count: int
    accepted: bool = False


@dataclass
class DigestEvent:
    id: int
    title: str
    url: str
    starts_at: datetime
    online: bool
    venue: str = ""


@dataclass
class DigestTip:
    id: int
    title: str
    url: str
    summary: str = ""


@dataclass
class Digest:
    member: Any
    frequency: str
    since: datetime
    now: datetime
    topics: list[DigestTopic] = field(default_factory=list)
    answers: list[DigestAnswer] = field(default_factory=list)
    notifications: list[Any] = field(default_factory=list)
    events: list[DigestEvent] = field(default_factory=list)
    tips: list[DigestTip] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return len(self.topics) + len(self.answers) + len(self.notifications) + len(self.events) + len(self.tips)

    @property
    def is_empty(self) -> bool:
        # Events and tips alone are not worth an email: there must be something of the member's own.
        return not (self.topics or self.answers or self.notifications)


def period_for(frequency: str) -> timedelta:
    return PERIODS.get(frequency, PERIODS[DigestFrequency.WEEKLY])


def digest_since(settings_row: MemberSettings | None, now: datetime) -> datetime:
    frequency = settings_row.digest_frequency if settings_row else DigestFrequency.WEEKLY
    period = period_for(frequency)
    last = settings_row.last_digest_at if settings_row else None
    if last and now - MAX_LOOKBACK * period <= last < now:
        return last
    return now - period


def _safe_reverse(name: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


_SLUG, _PK, _NUMBER = "slug-0-digest-0-slug", 918273645, 564738291


@lru_cache(maxsize=4)
def _url_templates(urlconf_marker: str) -> tuple[str, str]:
    """forum:topic and forum:post URLs with placeholders (reverse() is slow; a digest run needs thousands)."""
    topic = _safe_reverse("forum:topic", slug=_SLUG, pk=_PK)
    post = _safe_reverse("forum:post", slug=_SLUG, pk=_PK, number=_NUMBER)
    return topic, post


def _topic_url(topic_id: int, slug: str, number: int | None = None) -> str:
    """The topic's URL, or the exact post's when `number` > 1."""
    from django.urls import get_urlconf

    topic_tpl, post_tpl = _url_templates(str(get_urlconf() or settings.ROOT_URLCONF))
    slug = quote(slug or "-", safe="!$&'()*+,;=/~:@")
    if number and number > 1 and post_tpl:
        return post_tpl.replace(_SLUG, slug).replace(str(_PK), str(topic_id)).replace(str(_NUMBER), str(number))
    return topic_tpl.replace(_SLUG, slug).replace(str(_PK), str(topic_id))


def _offset(zone: zoneinfo.ZoneInfo, at: datetime) -> timedelta:
    return at.astimezone(zone).utcoffset() or timedelta(0)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class DigestBuilder:
    """Batch-loads what a chunk of members' digests need, then assembles each one in Python."""

    def __init__(self, members: list[User], now: datetime) -> None:
        self.members = [m for m in members if m.pk is not None]
        self.now = now
        self.ids = [m.pk for m in self.members]

    # --- loading ----------------------------------------------------------------------------------------

    def _load_settings(self) -> None:
        """MemberSettings, plus whether the member holds the moderation permission directly (one query)."""
        direct_mod = User.user_permissions.through.objects.filter(
            user_id=OuterRef("user_id"), permission__codename="moderate_community",
            permission__content_type__app_label="accounts",
        )
        rows = MemberSettings.objects.filter(user_id__in=self.ids).annotate(direct_mod=Exists(direct_mod))
        self.settings = {row.user_id: row for row in rows}
        self.since = {pk: digest_since(self.settings.get(pk), self.now) for pk in self.ids}
        self.min_since = min(self.since.values()) if self.since else self.now

    def _load_roles(self) -> None:
        """Group memberships, and which groups carry the moderation permission (one query)."""
        Membership = User.groups.through
        GroupPerm = Membership.group.field.related_model.permissions.through
        mod_group = GroupPerm.objects.filter(
            group_id=OuterRef("group_id"), permission__codename="moderate_community",
            permission__content_type__app_label="accounts",
        )
        self.group_ids: dict[int, set[int]] = defaultdict(set)
        self.moderators: set[int] = set()
        for user_id, group_id, is_mod in (
            Membership.objects.filter(user_id__in=self.ids)
            .annotate(is_mod=Exists(mod_group)).values_list("user_id", "group_id", "is_mod")
        ):
            self.group_ids[user_id].add(group_id)
            if is_mod:
                self.moderators.add(user_id)
        for member in self.members:
            row = self.settings.get(member.pk)
            if member.is_staff or member.is_superuser or (row is not None and getattr(row, "direct_mod", False)):
                self.moderators.add(member.pk)

    def _load_categories(self) -> None:
        """Which categories each member may read, as community.forum.permissions.visible_category_ids does."""
        Category = _model("forum", "Category")
        self.forum = Category is not None
        self.visible: dict[int, set[int] | None] = {}
        if not self.forum:
            return
        from community.forum.models import AccessLevel

        rows = list(Category.objects.values_list("id", "name", "access_level"))
        self.category_names = {pk: name for pk, name, _level in rows}
        all_ids = {pk for pk, _name, _level in rows}
        open_ids = {pk for pk, _name, level in rows if level in (AccessLevel.PUBLIC, AccessLevel.MEMBERS)}
        restricted = [pk for pk, _name, level in rows if level == AccessLevel.ROLES]
        allowed_groups: dict[int, set[int]] = defaultdict(set)  # category -> groups
        moderated: dict[int, set[int]] = defaultdict(set)  # member -> categories
        if restricted:
            for cat_id, group_id in Category.access_groups.through.objects.filter(
                category_id__in=restricted
            ).values_list("category_id", "group_id"):
                allowed_groups[cat_id].add(group_id)
            for cat_id, user_id in Category.moderators.through.objects.filter(
                category_id__in=restricted, user_id__in=self.ids
            ).values_list("category_id", "user_id"):
                moderated[user_id].add(cat_id)
        for pk in self.ids:
            if pk in self.moderators:
                self.visible[pk] = set(all_ids)
                continue
            ids = set(open_ids)
            groups = self.group_ids.get(pk, set())
            ids |= {cat for cat in restricted if allowed_groups[cat] & groups}
            ids |= moderated.get(pk, set()) & set(restricted)
            self.visible[pk] = ids

    def _load_follows(self) -> None:
        self.watched_categories: dict[int, set[int]] = defaultdict(set)
        self.muted_categories: dict[int, set[int]] = defaultdict(set)
        self.muted_topics: dict[int, set[int]] = defaultdict(set)
        self.followed_tags: dict[int, set[int]] = defaultdict(set)
        if self.forum:
            from community.forum.models import Subscription, SubscriptionLevel

            for user_id, topic_id, category_id, level in Subscription.objects.filter(
                user_id__in=self.ids
            ).exclude(level=SubscriptionLevel.NORMAL).values_list("user_id", "topic_id", "category_id", "level"):
                if category_id and level == SubscriptionLevel.WATCHING:
                    self.watched_categories[user_id].add(category_id)
                elif category_id and level == SubscriptionLevel.MUTED:
                    self.muted_categories[user_id].add(category_id)
                elif topic_id and level == SubscriptionLevel.MUTED:
                    self.muted_topics[user_id].add(topic_id)
        TagFollow = _model("content", "TagFollow")
        if TagFollow is not None:
            for member_id, tag_id in TagFollow.objects.filter(member_id__in=self.ids).values_list("member_id", "tag_id"):
                self.followed_tags[member_id].add(tag_id)

    def _load_topics(self) -> None:
        self.topics: list[Any] = []
        self.read: dict[tuple[int, int], int] = {}
        self.topic_tags: dict[int, set[int]] = defaultdict(set)
        if not self.forum:
            return
        from django.db.models import Q
        from taggit.models import TaggedItem

        from community.forum.models import Topic

        categories = set().union(*self.watched_categories.values()) if self.watched_categories else set()
        tags = set().union(*self.followed_tags.values()) if self.followed_tags else set()
        readable = set().union(*(v for v in self.visible.values() if v)) if self.visible else set()
        if not (categories or tags) or not readable:
            return
        self.topic_type = ContentType.objects.get_for_model(Topic)
        followed = Q(category_id__in=categories & readable)
        if tags:
            followed |= Q(pk__in=TaggedItem.objects.filter(content_type=self.topic_type, tag_id__in=tags)
                          .values("object_id"))
        # Only `last_posted_at` is indexed among these conditions, so that SQLite and PostgreSQL range-scan the
        # recent topics; merged-away topics and readable categories are checked again in Python.
        qs = Topic.objects.filter(deleted_at__isnull=True, approved=True, last_posted_at__gte=self.min_since)
        if readable != set(self.category_names):
            qs = qs.filter(category_id__in=readable)
        qs = qs.filter(followed)
        if len(self.members) == 1:
            # One member (build_digest): let the database drop what the member would skip anyway.
            member = self.members[0]
            qs = qs.exclude(author_id=member.pk).filter(last_posted_at__gte=self.since[member.pk])
            if self.muted_topics.get(member.pk):
                qs = qs.exclude(pk__in=self.muted_topics[member.pk])
            # ... and read the member's read state in the same query (no separate read-state query).
            from django.db.models import IntegerField, Subquery, Value
            from django.db.models.functions import Coalesce

            from community.forum.models import TopicReadState

            last_read = TopicReadState.objects.filter(user_id=member.pk, topic_id=OuterRef("pk")).values(
                "last_read_post_number")[:1]
            qs = qs.annotate(last_read=Coalesce(Subquery(last_read, output_field=IntegerField()), Value(0))).filter(
                last_read__lt=F("last_post_number"))
            fields = [*_TOPIC_FIELDS, "last_read"]
        else:
            fields = list(_TOPIC_FIELDS)
        limit = min(CANDIDATE_TOPICS, CANDIDATES_PER_MEMBER * len(self.members))
        self.topics = [
            _Topic(*row) for row in
            qs.annotate(score=F("like_count") * 2 + F("reply_count"))
            .order_by("-score", "-last_posted_at")
            .values_list(*fields)[:limit]
        ]
        if len(self.members) == 1:
            self.read.update({(self.members[0].pk, t.pk): t.last_read for t in self.topics if t.last_read})
        if tags and self.topics:
            for object_id, tag_id in TaggedItem.objects.filter(
                content_type=self.topic_type, object_id__in=[t.pk for t in self.topics], tag_id__in=tags
            ).values_list("object_id", "tag_id"):
                self.topic_tags[object_id].add(tag_id)

    def _load_answers(self) -> None:
        """Unread posts by others in the topics the members started, counted per topic (one query)."""
        self.answers: dict[int, list[tuple]] = defaultdict(list)
        if not self.forum:
            return
        from django.db.models import Case, Count, IntegerField, Max, Min, Subquery, Value, When
        from django.db.models.functions import Coalesce

        from community.forum.models import Post, TopicReadState

        read_upto = TopicReadState.objects.filter(
            user_id=OuterRef("topic__author_id"), topic_id=OuterRef("topic_id")
        ).values("last_read_post_number")[:1]
        rows = (
            Post.objects.filter(topic__author_id__in=self.ids, topic__deleted_at__isnull=True,
                                topic__approved=True, deleted_at__isnull=True, hidden=False, approved=True,
                                number__gt=1, created_at__gte=self.min_since)
            .exclude(author_id=F("topic__author_id"))
            .alias(read_upto=Coalesce(Subquery(read_upto, output_field=IntegerField()), Value(0)))
            .filter(number__gt=F("read_upto"))
            .values("topic__author_id", "topic_id", "topic__title", "topic__slug", "topic__category_id")
            .annotate(count=Count("id"), first=Min("number"), latest=Max("created_at"),
                      accepted=Max(Case(When(id=F("topic__accepted_answer_id"), then=Value(1)), default=Value(0),
                                        output_field=IntegerField())))
            .order_by()
            .values_list("topic__author_id", "topic_id", "topic__title", "topic__slug", "topic__category_id",
                         "count", "first", "latest", "accepted")
        )
        for row in rows:
            self.answers[row[0]].append(row[1:])

    def _load_read_states(self) -> None:
        if not self.forum or len(self.members) == 1:  # one member: read with the topics
            return
        from community.forum.models import TopicReadState

        topic_ids = {t.pk for t in self.topics}
        if not topic_ids:
            return
        states = TopicReadState.objects.filter(topic_id__in=topic_ids)
        if len(self.ids) == 1:
            states = states.filter(user_id=self.ids[0])
        else:
            # Probe by topic (a few read states each), not by every (member, topic) pair of the chunk: `+ 0`
            # keeps the database from choosing the (user, topic) index for a members x topics search.
            states = states.alias(member_id=F("user_id") + 0).filter(member_id__in=self.ids)
        for user_id, topic_id, number in states.values_list("user_id", "topic_id", "last_read_post_number"):
            self.read[(user_id, topic_id)] = number

    def _load_notifications(self) -> None:
        from accounts.models import Delivery
        from community.notifications.models import Notification

        self.notifications: dict[int, list[Any]] = defaultdict(list)
        for notification in (
            Notification.objects.filter(recipient_id__in=self.ids, delivery=Delivery.DIGEST, read_at__isnull=True,
                                        updated_at__gte=self.min_since)
            .select_related("actor").order_by("-updated_at", "-pk")
        ):
            self.notifications[notification.recipient_id].append(notification)

    def _load_events(self) -> None:
        self.events: list[Any] = []
        self.event_roles: dict[int, set[int]] = defaultdict(set)
        Event = _model("events", "Event")
        if Event is None:
            return
        from events.models import Status, Visibility

        self.events = list(
            Event.objects.filter(status=Status.PUBLISHED, starts_at__gte=self.now,
                                 starts_at__lte=self.now + EVENT_HORIZON)
            .only("id", "title", "slug", "starts_at", "time_zone", "format", "venue", "visibility")
            .order_by("starts_at", "pk")[:100]
        )
        restricted = [e.pk for e in self.events if e.visibility == Visibility.ROLES]
        if restricted:
            for event_id, group_id in Event.roles.through.objects.filter(event_id__in=restricted).values_list(
                "event_id", "group_id"
            ):
                self.event_roles[event_id].add(group_id)

    def _load_tips(self) -> None:
        self.tips: list[Any] = []
        self.tips_read: set[tuple[int, int]] = set()
        Article = _model("content", "Article")
        if Article is None:
            return
        languages = {m.locale for m in self.members}
        self.tips = list(
            Article.objects.visible(self.now).filter(publish_at__gte=self.min_since, language__in=languages)
            .only("id", "title", "slug", "summary", "language", "publish_at").order_by("-publish_at", "-pk")[:50]
        )
        ArticleRead = _model("content", "ArticleRead")
        if self.tips and ArticleRead is not None:
            self.tips_read = set(
                ArticleRead.objects.filter(member_id__in=self.ids, article_id__in=[a.pk for a in self.tips])
                .values_list("member_id", "article_id")
            )

    # --- assembling -------------------------------------------------------------------------------------

    def build(self) -> dict[int, Digest | None]:
        if not self.members:
            return {}
        self._load_settings()
        self._load_roles()
        self._load_categories()
        self._load_follows()
        self._load_topics()
        self._load_answers()
        self._load_read_states()
        self._load_notifications()
        self._load_events()
        self._load_tips()
        return {member.pk: self._assemble(member) for member in self.members}

    def _assemble(self, member: User) -> Digest | None:
        row = self.settings.get(member.pk)
        frequency = row.digest_frequency if row else DigestFrequency.WEEKLY
        if frequency == DigestFrequency.OFF:
            return None
        since = self.since[member.pk]
        digest = Digest(member=member, frequency=frequency, since=since, now=self.now)
        visible = self.visible.get(member.pk) or set()
        digest.answers = self._answers_for(member, since, visible)
        answered_topics = {a.topic_id for a in digest.answers}
        digest.topics = self._topics_for(member, since, visible, answered_topics)
        digest.notifications = [n for n in self.notifications.get(member.pk, []) if n.updated_at >= since][
            :NOTIFICATIONS_PER_DIGEST]
        digest.events = self._events_for(member)
        digest.tips = self._tips_for(member, since)
        return None if digest.is_empty else digest

    def _topics_for(self, member: User, since: datetime, visible: set[int], skip: set[int]) -> list[DigestTopic]:
        categories = self.watched_categories.get(member.pk, set())
        tags = self.followed_tags.get(member.pk, set())
        muted_categories = self.muted_categories.get(member.pk, set())
        muted_topics = self.muted_topics.get(member.pk, set())
        chosen: list[DigestTopic] = []
        for topic in self.topics:  # already best first
            if topic.last_posted_at < since or topic.category_id not in visible or topic.pk in skip \
                    or topic.merged_into_id is not None:
                continue
            if topic.author_id == member.pk or topic.pk in muted_topics or topic.category_id in muted_categories:
                continue
            if topic.category_id not in categories and not (self.topic_tags.get(topic.pk, set()) & tags):
                continue
            last_read = self.read.get((member.pk, topic.pk), 0)
            if last_read >= topic.last_post_number:
                continue
            chosen.append(DigestTopic(
                id=topic.pk, title=topic.title, url=_topic_url(topic.pk, topic.slug, last_read + 1 if last_read else None),
                category=self.category_names.get(topic.category_id, ""),
                unread_posts=topic.last_post_number - last_read, reply_count=topic.reply_count,
                like_count=topic.like_count,
            ))
            if len(chosen) >= TOPICS_PER_DIGEST:
                break
        return chosen

    def _answers_for(self, member: User, since: datetime, visible: set[int]) -> list[DigestAnswer]:
        answers = [
            DigestAnswer(topic_id=topic_id, title=title, url=_topic_url(topic_id, slug, first), count=count,
                         accepted=bool(accepted))
            for topic_id, title, slug, category_id, count, first, latest, accepted in self.answers.get(member.pk, [])
            if latest >= since and category_id in visible
        ]
        answers.sort(key=lambda a: (-a.count, a.topic_id))
        return answers[:ANSWERS_PER_DIGEST]

    def _events_for(self, member: User) -> list[DigestEvent]:
        if not self.events:
            return []
        from events.models import Format, Visibility

        zone = member.zoneinfo
        groups = self.group_ids.get(member.pk, set())
        chosen = []
        for event in self.events:
            if event.visibility == Visibility.ROLES and not (self.event_roles.get(event.pk, set()) & groups) \
                    and member.pk not in self.moderators:
                continue
            online = event.format in (Format.ONLINE, Format.HYBRID)
            if not online:
                distance = abs(_offset(zone, event.starts_at) - _offset(_zone(event.time_zone), event.starts_at))
                if distance > NEAR_ZONE:
                    continue
            chosen.append(DigestEvent(id=event.pk, title=event.title, url=_url_of(event),
                                      starts_at=event.starts_at, online=online, venue=event.venue))
            if len(chosen) >= EVENTS_PER_DIGEST:
                break
        return chosen

    def _tips_for(self, member: User, since: datetime) -> list[DigestTip]:
        chosen = []
        for article in self.tips:
            if article.language != member.locale or article.publish_at < since:
                continue
            if (member.pk, article.pk) in self.tips_read:
                continue
            chosen.append(DigestTip(id=article.pk, title=article.title, url=_url_of(article),
                                    summary=article.summary))
            if len(chosen) >= TIPS_PER_DIGEST:
                break
        return chosen


def build_digests(members: list[User], now: datetime) -> dict[int, Digest | None]:
    """Digests for a chunk of members (constant number of queries for the whole chunk)."""
    return DigestBuilder(list(members), now).build()


def build_digest(member: User, now: datetime) -> Digest | None:
    """The member's digest at `now`, or None when there is nothing worth sending (or digests are off)."""
    return build_digests([member], now).get(member.pk)


def iter_digests(members, now: datetime, *, chunk_size: int = 500):
    """(member, digest or None) for an iterable of members, built chunk by chunk (for runs and benchmarks)."""
    chunk: list[User] = []
    for member in members:
        chunk.append(member)
        if len(chunk) >= chunk_size:
            digests = build_digests(chunk, now)
            yield from ((m, digests.get(m.pk)) for m in chunk)
            chunk = []
    if chunk:
        digests = build_digests(chunk, now)
        yield from ((m, digests.get(m.pk)) for m in chunk)
