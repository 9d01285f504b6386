"""Articles (tips and stories): written by editors, read by members and the public."""

from __future__ import annotations

import math
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

WORDS_PER_MINUTE = 220


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


#: Statuses whose articles are public once their publish_at has passed. "scheduled" is in the list on purpose:
#: visibility is a query on the time, so a scheduled article appears at its minute without waiting for the
#: periodic `publish_scheduled_articles` command (which only flips the status for bookkeeping).
LIVE_STATUSES = (ArticleStatus.SCHEDULED, ArticleStatus.PUBLISHED)


class ArticleQuerySet(models.QuerySet):
    def visible(self, now: datetime | None = None) -> ArticleQuerySet:
        """Published, or scheduled and due: what readers may see at `now`."""
        return self.filter(status__in=LIVE_STATUSES, publish_at__lte=now or timezone.now())

    def public(self, now: datetime | None = None) -> ArticleQuerySet:
        """Visible to everyone, signed in or not (feeds, sitemap): members-only articles left out."""
        return self.visible(now).filter(members_only=False)

    def for_viewer(self, user, now: datetime | None = None) -> ArticleQuerySet:
        """What `user` (possibly anonymous) may read in lists and search."""
        if user is not None and user.is_authenticated:
            return self.visible(now)
        return self.public(now)

    def in_language(self, language: str | None) -> ArticleQuerySet:
        return self.filter(language=language) if language else self

    def search(self, text: str) -> ArticleQuerySet:
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(title__icontains=text) | Q(summary__icontains=text) | Q(body__icontains=text))

    def due_for_bookkeeping(self, now: datetime | None = None) -> ArticleQuerySet:
        return self.filter(status=ArticleStatus.SCHEDULED, publish_at__lte=now or timezone.now())

    def with_lists(self) -> ArticleQuerySet:
        """Everything a list row shows, in a constant number of queries."""
        return self.prefetch_related("authors", "tags")


class TaggedArticle(TaggedItemBase):
    """Taggit's through table with a real foreign key, so that 'related by tags' is a plain join."""

    content_object = models.ForeignKey("content.Article", on_delete=models.CASCADE, related_name="tagged_items")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="content_taggedarticle_unique"),
        ]


def cover_path(instance: Article, filename: str) -> str:
    return f"articles/{filename}"


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True,
                            help_text=_("The address of the article: /blog/<slug>/."))
    summary = models.CharField(_("summary"), max_length=300, blank=True,
                               help_text=_("Plain text shown in lists, feeds and link previews."))
    body = models.TextField(_("body"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False, help_text="Body rendered through community.markup when saved.")
    cover_image = models.ImageField(_("cover image"), upload_to=cover_path, blank=True)
    cover_alt = models.CharField(_("cover image description"), max_length=200, blank=True,
                                 help_text=_("Describe the image for people who cannot see it."))
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="articles", blank=True,
                                     verbose_name=_("authors"))
    tags = TaggableManager(through=TaggedArticle, blank=True, verbose_name=_("tags"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices,
                              default=ArticleStatus.DRAFT, db_index=True)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True, db_index=True,
                                      help_text=_("When the article becomes visible (scheduled or published)."))
    members_only = models.BooleanField(_("members only"), default=False,
                                       help_text=_("Hidden from visitors who are not signed in, feeds and sitemap."))
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False,
                                                       help_text="Estimated from the body's word count.")
    discussion_topic = models.ForeignKey("forum.Topic", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+", help_text="Forum topic where readers comment.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-pk"]
        indexes = [models.Index(fields=["status", "publish_at"]), models.Index(fields=["language", "publish_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:article", kwargs={"slug": self.slug})

    def is_visible(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status in LIVE_STATUSES and self.publish_at is not None and self.publish_at <= now

    @staticmethod
    def estimate_reading_minutes(plain_text: str) -> int:
        return max(1, math.ceil(len(plain_text.split()) / WORDS_PER_MINUTE))


class HelpfulVote(models.Model):
    """'Was this helpful?': one answer per member and article (a second answer changes the first)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="helpful_votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="helpful_votes")
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "member"], name="content_helpfulvote_unique")]


class ArticleRead(models.Model):
    """First read of an article by a member: participation is recorded once, not at every page view."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reads")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="article_reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "member"], name="content_articleread_unique")]


class TagFollow(models.Model):
    """A member follows a tag of the blog; the 'followed tags' newsletter segment reads these."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_tags")
    tag = models.ForeignKey("taggit.Tag", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "tag"], name="content_tagfollow_unique")]
