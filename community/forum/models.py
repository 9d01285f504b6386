"""Tables of the forum: categories, topics, posts and what members do with them.

Counters that pages show (replies, last activity, reactions) are denormalised here and kept by the actions in
`community.forum.actions`, so that no page counts rows per topic or per post.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from community.forum.routes import fast_reverse

POSTS_PER_PAGE = 20
TOPICS_PER_PAGE = 20

#: PostgreSQL text search configuration per member language; `simple` where PostgreSQL has no stemmer.
SEARCH_CONFIGS = {"en": "english", "sw": "simple", "lv": "simple", "hy": "simple"}


class AccessLevel(models.TextChoices):
    PUBLIC = "public", _("Everyone, also signed out")
    MEMBERS = "members", _("Signed-in members")
    ROLES = "roles", _("Chosen roles only")


class StartPolicy(models.TextChoices):
    EVERYONE = "everyone", _("Every member")
    MODERATORS = "moderators", _("Staff and moderators only")


class CategoryQuerySet(models.QuerySet):
    def ordered(self) -> CategoryQuerySet:
        return self.order_by("position", "name")


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    colour = models.CharField(_("colour"), max_length=7, default="#2455c3",
                              validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #2455c3."))],
                              help_text=_("A hex colour such as #2455c3, shown beside the name."))
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Lower numbers come first."))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               verbose_name=_("parent category"))
    access_level = models.CharField(_("who may read"), max_length=10, choices=AccessLevel.choices,
                                    default=AccessLevel.PUBLIC)
    access_groups = models.ManyToManyField(Group, blank=True, related_name="forum_categories",
                                           verbose_name=_("roles that may read"),
                                           help_text=_("Used when the access level is 'chosen roles only'."))
    start_policy = models.CharField(_("who may start topics"), max_length=12, choices=StartPolicy.choices,
                                    default=StartPolicy.EVERYONE)
    hold_new_member_posts = models.BooleanField(
        _("hold first posts of new members"), default=False,
        help_text=_("A member's first posts here wait for a moderator's approval."))
    slow_mode_seconds = models.PositiveIntegerField(
        _("slow mode (seconds)"), default=0,
        help_text=_("Minimum time between two posts of one member in a topic; 0 is off."))
    qa_mode = models.BooleanField(_("questions and answers"), default=False,
                                  help_text=_("Topics are questions; the asker or a moderator accepts an answer."))
    moderators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="moderated_categories",
                                        verbose_name=_("moderators"))
    topic_count = models.PositiveIntegerField(default=0, editable=False, help_text="Visible topics (denormalised).")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return fast_reverse("forum:category", slug=self.slug)


class TopicQuerySet(models.QuerySet):
    def alive(self) -> TopicQuerySet:
        """Not deleted, not merged away, approved."""
        return self.filter(deleted_at__isnull=True, approved=True)

    def visible_to(self, user) -> TopicQuerySet:
        """Topics `user` may read: alive, in a category they may read (own held topics included)."""
        from community.forum.permissions import visible_category_ids

        qs = self.filter(deleted_at__isnull=True)
        if user is not None and user.is_authenticated:
            qs = qs.filter(Q(approved=True) | Q(author=user))
        else:
            qs = qs.filter(approved=True)
        ids = visible_category_ids(user)
        if ids is not None:
            qs = qs.filter(category_id__in=ids)
        return qs


class Topic(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=200, allow_unicode=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="topics")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en",
                                help_text="Language of the question; chooses the search configuration.")
    tags = TaggableManager(blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    locked = models.BooleanField(_("locked"), default=False, help_text=_("Nobody but moderators may reply."))
    closed = models.BooleanField(_("closed"), default=False, help_text=_("Solved or finished: no more replies."))
    approved = models.BooleanField(default=True, help_text="False while the first post waits for approval.")
    view_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0, help_text="Visible posts after the first (denormalised).")
    last_posted_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_poster = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    last_post_number = models.PositiveIntegerField(default=0, help_text="Highest post number given out.")
    like_count = models.PositiveIntegerField(default=0, help_text="Reactions on all posts (for 'top').")
    accepted_answer = models.ForeignKey("Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    db_index=False)  # indexed below only where set (see Meta.indexes)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["-last_posted_at"]
        indexes = [
            models.Index(fields=["category", "-last_posted_at"]),
            # The lists' exact ORDER BY (pinned first, newest activity, id as tie-break), so a page is read off
            # the index in order instead of sorting every topic; one for latest and one per category.
            models.Index(fields=["-pinned", "-last_posted_at", "-id"], name="forum_topic_list_order"),
            models.Index(fields=["category", "-pinned", "-last_posted_at", "-id"], name="forum_topic_cat_list_order"),
            # Only merged topics: an index over the (almost always NULL) column made SQLite's planner pick it
            # for "merged_into IS NULL" and then sort the whole table.
            models.Index(fields=["merged_into"], name="forum_topic_merged_into",
                         condition=models.Q(merged_into__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return fast_reverse("forum:topic", slug=self.slug or "-", pk=self.pk)

    def post_url(self, number: int) -> str:
        return fast_reverse("forum:post", slug=self.slug or "-", pk=self.pk, number=number)

    @property
    def page_count(self) -> int:
        return max(1, (self.last_post_number + POSTS_PER_PAGE - 1) // POSTS_PER_PAGE)


class PostQuerySet(models.QuerySet):
    def alive(self) -> PostQuerySet:
        """Shown to members: not deleted, not hidden by moderation, approved."""
        return self.filter(deleted_at__isnull=True, hidden=False, approved=True)


class Post(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField(help_text="1 for the first post, then 2, 3... within the topic.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="posts")
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    raw = models.TextField(help_text="Markdown as the member wrote it.")
    html = models.TextField(help_text="Rendered once by community.markup when saved.")
    search_config = models.CharField(max_length=20, default="english",
                                     help_text="PostgreSQL text search configuration for this post's language.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    edit_count = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    hidden = models.BooleanField(default=False, help_text="Hidden by flags or a moderator, pending review.")
    approved = models.BooleanField(default=True, help_text="False while held for a moderator's approval.")
    reaction_counts = models.JSONField(default=dict, blank=True,
                                       help_text="{kind: count}, recomputed under a row lock on every change.")
    idempotency_key = models.CharField(max_length=64, null=True, blank=True,
                                       help_text="Form token: one submission makes one post.")
    search_vector = SearchVectorField(null=True, editable=False,
                                      help_text="PostgreSQL only: title (first post) and text, kept by the actions.")

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["topic", "number"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "number"], name="forum_post_topic_number_unique"),
            models.UniqueConstraint(fields=["author", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                                    name="forum_post_author_token_unique"),
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"]),
            GinIndex(fields=["search_vector"], name="forum_post_search_gin"),
            # Posts waiting for approval (few): "does this member have held posts in this topic?" is asked on
            # every topic page a member opens (community.forum.shared.topic_state).
            models.Index(fields=["topic", "author"], name="forum_post_held_idx",
                         condition=Q(approved=False, deleted_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}#{self.number}"

    def get_absolute_url(self) -> str:
        return self.topic.post_url(self.number)

    @property
    def is_alive(self) -> bool:
        return self.deleted_at is None and not self.hidden and self.approved


class PostRevision(models.Model):
    """The text of a post before one edit: nothing a member wrote is ever lost."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    raw = models.TextField()
    html = models.TextField()
    title = models.CharField(max_length=200, blank=True, help_text="The topic title then, for first posts.")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "created_at"]


class ReactionKind(models.TextChoices):
    LIKE = "like", _("Like")
    HEART = "heart", _("Love")
    LAUGH = "laugh", _("Funny")
    TADA = "tada", _("Celebrate")
    THINKING = "thinking", _("Thinking")


REACTION_EMOJI = {"like": "👍", "heart": "❤️", "laugh": "😄", "tada": "🎉", "thinking": "🤔"}


class Reaction(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reactions")
    kind = models.CharField(max_length=12, choices=ReactionKind.choices, default=ReactionKind.LIKE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user", "kind"], name="forum_reaction_unique")]
        indexes = [models.Index(fields=["user", "post"])]


class Bookmark(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_bookmarks")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="forum_bookmark_unique")]


class TopicReadState(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_read_states")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="read_states")
    last_read_post_number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="forum_readstate_unique")]


class SubscriptionLevel(models.TextChoices):
    WATCHING = "watching", _("Watching: tell me about every new post")
    NORMAL = "normal", _("Normal: tell me about replies and mentions")
    MUTED = "muted", _("Muted: never tell me, hide from latest")


class Subscription(models.Model):
    """A member's interest in one topic or one category (exactly one of the two)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_subscriptions")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="subscriptions")
    level = models.CharField(max_length=10, choices=SubscriptionLevel.choices, default=SubscriptionLevel.NORMAL)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(topic__isnull=False) & Q(category__isnull=True))
                | (Q(topic__isnull=True) & Q(category__isnull=False)),
                name="forum_subscription_one_target",
            ),
            models.UniqueConstraint(fields=["user", "topic"], condition=Q(topic__isnull=False),
                                    name="forum_subscription_user_topic_unique"),
            models.UniqueConstraint(fields=["user", "category"], condition=Q(category__isnull=False),
                                    name="forum_subscription_user_category_unique"),
        ]


class Draft(models.Model):
    """Text being typed, saved on the server: a reply to a topic, or a new topic (topic empty)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_drafts")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="drafts")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200, blank=True)
    raw = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], condition=Q(topic__isnull=False),
                                    name="forum_draft_user_topic_unique"),
            models.UniqueConstraint(fields=["user"], condition=Q(topic__isnull=True),
                                    name="forum_draft_user_new_topic_unique"),
        ]


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    INAPPROPRIATE = "inappropriate", _("Inappropriate or abusive")
    OFF_TOPIC = "off_topic", _("Off topic")
    OTHER = "other", _("Something else")


class FlagQuerySet(models.QuerySet):
    def open(self) -> FlagQuerySet:
        return self.filter(resolved_at__isnull=True)


class Flag(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_flags")
    reason = models.CharField(_("reason"), max_length=20, choices=FlagReason.choices)
    message = models.TextField(_("message for the moderators"), blank=True, max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolution = models.CharField(max_length=20, blank=True, help_text="approve, hide, delete or silence.")

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="forum_flag_post_user_unique")]
