"""Reads of the content app that cross relations (constant queries per page), and the lazy reads of the
forum and events apps that newsletters show."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.urls import NoReverseMatch
from django.utils import timezone
from taggit.models import Tag

from accounts.roles import EDIT_CONTENT
from community.content.models import (
    Article,
    DeliveryStatus,
    HelpfulVote,
    NewsletterClick,
    NewsletterDelivery,
    NewsletterIssue,
)

log = logging.getLogger(__name__)
ARTICLES_PER_PAGE = 12


def can_edit_content(user) -> bool:
    return bool(user is not None and user.is_authenticated and (user.is_staff or user.has_perm(EDIT_CONTENT)))


# --- Articles -------------------------------------------------------------------------------------------


def article_list(user, *, tag: str | None = None, language: str | None = None, query: str = "",
                 page: int | str = 1, now: datetime | None = None) -> Page:
    """Articles `user` may read, newest first; members-only ones are left out for visitors."""
    qs = Article.objects.for_viewer(user, now).in_language(language).search(query)
    if tag:
        qs = qs.filter(tags__slug=tag)
    qs = qs.with_lists().order_by("-publish_at", "-pk")
    return Paginator(qs, ARTICLES_PER_PAGE).get_page(page)


def article_for_reader(user, slug: str, *, now: datetime | None = None) -> Article:
    """The article page: 404 when it is not visible to `user` (drafts, future, members-only for visitors)."""
    article = (
        Article.objects.for_viewer(user, now)
        .prefetch_related("authors", "tags")
        .select_related("discussion_topic")
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise Http404
    return article


def article_for_editor(user, slug: str) -> Article:
    if not can_edit_content(user):
        raise Http404
    article = Article.objects.prefetch_related("authors", "tags").filter(slug=slug).first()
    if article is None:
        raise Http404
    return article


def related_articles(user, article: Article, *, limit: int = 3, now: datetime | None = None) -> list[Article]:
    """Other readable articles sharing the most tags with `article`."""
    tag_ids = [tag.pk for tag in article.tags.all()]
    if not tag_ids:
        return []
    return list(
        Article.objects.for_viewer(user, now)
        .exclude(pk=article.pk)
        .filter(tags__in=tag_ids)
        .annotate(shared=Count("tags", distinct=True))
        .order_by("-shared", "-publish_at")[:limit]
    )


@dataclass(frozen=True)
class HelpfulSummary:
    yes: int
    no: int
    mine: bool | None


def helpful_summary(user, article: Article) -> HelpfulSummary:
    counts = HelpfulVote.objects.filter(article=article).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    mine = None
    if user is not None and user.is_authenticated:
        mine = HelpfulVote.objects.filter(article=article, member=user).values_list("helpful", flat=True).first()
    return HelpfulSummary(yes=counts["yes"], no=counts["no"], mine=mine)


def tag_for(slug: str) -> Tag:
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        raise Http404
    return tag


def editor_articles(user, *, status: str | None = None, page: int | str = 1) -> Page:
    if not can_edit_content(user):
        raise Http404
    qs = Article.objects.all()
    if status:
        qs = qs.filter(status=status)
    qs = qs.with_lists().order_by("-updated_at", "-pk")
    return Paginator(qs, 30).get_page(page)


# --- Newsletters ------------------------------------------------------------------------------------------


def issue_for_editor(user, pk: int) -> NewsletterIssue:
    if not can_edit_content(user):
        raise Http404
    issue = NewsletterIssue.objects.select_related("segment").prefetch_related("articles").filter(pk=pk).first()
    if issue is None:
        raise Http404
    return issue


def issue_list(user, *, page: int | str = 1) -> Page:
    if not can_edit_content(user):
        raise Http404
    qs = NewsletterIssue.objects.select_related("segment").order_by("-created_at", "-pk")
    return Paginator(qs, 30).get_page(page)


@dataclass(frozen=True)
class IssueReport:
    recipients: int
    pending: int
    sending: int
    delivered: int
    failed: int
    skipped: int
    unknown: int
    opened: int
    clicked: int
    unsubscribed: int
    tracking: bool
    top_links: list[tuple[str, int]]

    def rate(self, count: int) -> str:
        return f"{(100 * count / self.delivered):.0f}%" if self.delivered else "–"

    @property
    def open_rate(self) -> str:
        return self.rate(self.opened)

    @property
    def click_rate(self) -> str:
        return self.rate(self.clicked)


def issue_report(issue: NewsletterIssue) -> IssueReport:
    """Recipients, delivered, opened, clicked and unsubscribes of one issue: two queries."""
    counts = NewsletterDelivery.objects.filter(issue=issue).aggregate(
        recipients=Count("pk"),
        pending=Count("pk", filter=Q(status=DeliveryStatus.PENDING)),
        sending=Count("pk", filter=Q(status=DeliveryStatus.SENDING)),
        delivered=Count("pk", filter=Q(status=DeliveryStatus.SENT)),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        skipped=Count("pk", filter=Q(status=DeliveryStatus.SKIPPED)),
        unknown=Count("pk", filter=Q(status=DeliveryStatus.UNKNOWN)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
    )
    top_links = list(
        NewsletterClick.objects.filter(delivery__issue=issue)
        .values_list("url")
        .annotate(n=Count("pk"))
        .order_by("-n", "url")[:10]
    )
    return IssueReport(**counts, tracking=issue.tracking_enabled, top_links=top_links)


# --- What newsletters show from the other apps (lazy: each source may be missing) ---------------------------


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def upcoming_events(*, limit: int = 3, now: datetime | None = None) -> list[dict]:
    """Public upcoming events from the events app, or nothing when it is not there."""
    try:
        Event = apps.get_model("events", "Event")
        qs = (
            Event.objects.filter(status="published", visibility="public", starts_at__gte=now or timezone.now())
            .order_by("starts_at")[:limit]
        )
        return [{"title": event.title, "url": _absolute(event.get_absolute_url()), "starts_at": event.starts_at}
                for event in qs]
    except (LookupError, FieldError, AttributeError, NoReverseMatch) as exc:
        log.info("newsletter: no upcoming events (%s)", exc)
        return []


def _public_topics():
    Topic = apps.get_model("forum", "Topic")
    return Topic.objects.visible_to(AnonymousUser()).filter(approved=True, deleted_at__isnull=True)


def top_topics(*, limit: int = 3, days: int = 30, now: datetime | None = None) -> list[dict]:
    """The most liked and answered public forum topics of the last `days` days."""
    try:
        since = (now or timezone.now()) - timedelta(days=days)
        qs = _public_topics().filter(created_at__gte=since).order_by("-like_count", "-reply_count", "-pk")[:limit]
        return [{"title": topic.title, "url": _absolute(topic.get_absolute_url())} for topic in qs]
    except (LookupError, FieldError, AttributeError, ImportError, NoReverseMatch) as exc:
        log.info("newsletter: no top topics (%s)", exc)
        return []


def recommended_topics(*, language: str, limit: int = 3, exclude_urls: set[str] | None = None) -> list[dict]:
    """A few lively public topics in the reader's language (personalisation computed once per language)."""
    try:
        qs = _public_topics().filter(language=language).order_by("-last_posted_at", "-pk")[: limit * 2]
        topics = [{"title": topic.title, "url": _absolute(topic.get_absolute_url())} for topic in qs]
    except (LookupError, FieldError, AttributeError, ImportError, NoReverseMatch) as exc:
        log.info("newsletter: no recommended topics (%s)", exc)
        return []
    exclude_urls = exclude_urls or set()
    return [topic for topic in topics if topic["url"] not in exclude_urls][:limit]
