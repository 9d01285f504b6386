"""Writes of articles: write, schedule, publish, archive, read, vote, follow tags."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from accounts.actions import audit
from community.content.models import Article, ArticleRead, ArticleStatus, HelpfulVote, TagFollow
from community.content.selectors import can_edit_content
from community.markup import render_markdown, to_plain_text
from community.metrics.actions import record

log = logging.getLogger(__name__)


class ArticleError(ValueError):
    """An article cannot be saved or moved to that status; the message says why."""


def _require_editor(actor) -> None:
    if not can_edit_content(actor):
        raise PermissionDenied(_("Only editors and staff can write articles."))


RESERVED_SLUGS = {"write", "drafts", "tag"}  # /blog/write/ and friends


def _unique_slug(text: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(text, allow_unicode=True)[:200] or "article"
    if base in RESERVED_SLUGS:
        base = f"{base}-article"
    slug, n = base, 2
    while Article.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _clean_tags(tags: Iterable[str] | str | None) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    names = []
    for name in tags:
        name = " ".join(str(name).split())[:100]
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    if len(names) > 10:
        raise ArticleError(_("An article can have at most 10 tags."))
    return names


def _apply(article: Article, *, title: str | None, summary: str | None, body: str | None, language: str | None,
           members_only: bool | None, cover_image=None, cover_alt: str | None) -> None:
    if title is not None:
        title = " ".join(title.split())
        if not title:
            raise ArticleError(_("An article needs a title."))
        article.title = title[:200]
    if summary is not None:
        article.summary = " ".join(summary.split())[:300]
    if body is not None:
        article.body = body
        article.body_html = render_markdown(body)
        article.reading_minutes = Article.estimate_reading_minutes(to_plain_text(article.body_html))
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ArticleError(_("Choose one of the site's languages."))
        article.language = language
    if members_only is not None:
        article.members_only = members_only
    if cover_image is not None:
        article.cover_image = cover_image or ""
    if cover_alt is not None:
        article.cover_alt = " ".join(cover_alt.split())[:200]
    if article.cover_image and not article.cover_alt:
        raise ArticleError(_("Describe the cover image for people who cannot see it."))


def article_create(*, actor, title: str, body: str, summary: str = "", language: str = "en",
                   tags: Iterable[str] | str | None = None, members_only: bool = False, cover_image=None,
                   cover_alt: str = "", slug: str = "", authors: Iterable | None = None) -> Article:
    """A new draft; the actor is its author unless `authors` says otherwise."""
    _require_editor(actor)
    tag_names = _clean_tags(tags)
    article = Article(created_by=actor)
    _apply(article, title=title, summary=summary, body=body, language=language, members_only=members_only,
           cover_image=cover_image, cover_alt=cover_alt)
    with transaction.atomic():
        article.slug = _unique_slug(slug or article.title)
        article.save()
        article.authors.set(list(authors) if authors else [actor])
        if tag_names:
            article.tags.set(tag_names)
        audit(actor=actor, action="content.article.create", target=article, title=article.title)
    return article


def article_update(*, actor, article: Article, title: str | None = None, body: str | None = None,
                   summary: str | None = None, language: str | None = None,
                   tags: Iterable[str] | str | None = None, members_only: bool | None = None, cover_image=None,
                   cover_alt: str | None = None, slug: str | None = None, authors: Iterable | None = None) -> Article:
    _require_editor(actor)
    tag_names = _clean_tags(tags) if tags is not None else None
    _apply(article, title=title, summary=summary, body=body, language=language, members_only=members_only,
           cover_image=cover_image, cover_alt=cover_alt)
    with transaction.atomic():
        if slug is not None and slug != article.slug:
            article.slug = _unique_slug(slug or article.title, exclude_pk=article.pk)
        article.updated_at = timezone.now()
        article.save()
        if authors is not None:
            article.authors.set(list(authors) or [actor])
        if tag_names is not None:
            article.tags.set(tag_names, clear=True)
        audit(actor=actor, action="content.article.update", target=article)
    return article


def article_schedule(*, actor, article: Article, publish_at: datetime, now: datetime | None = None) -> Article:
    """Publish at `publish_at` (in the future). The article is visible from that moment on, by query."""
    _require_editor(actor)
    now = now or timezone.now()
    if publish_at is None or publish_at <= now:
        raise ArticleError(_("Choose a time in the future, or publish now."))
    article.status = ArticleStatus.SCHEDULED
    article.publish_at = publish_at
    article.updated_at = now
    with transaction.atomic():
        article.save(update_fields=["status", "publish_at", "updated_at"])
        audit(actor=actor, action="content.article.schedule", target=article, publish_at=publish_at.isoformat())
    return article


def article_publish(*, actor, article: Article, now: datetime | None = None) -> Article:
    """Publish now (a scheduled article is published at once)."""
    _require_editor(actor)
    now = now or timezone.now()
    with transaction.atomic():
        article.status = ArticleStatus.PUBLISHED
        article.publish_at = now
        article.updated_at = now
        article.save(update_fields=["status", "publish_at", "updated_at"])
        _open_discussion(article, author=actor)
        audit(actor=actor, action="content.article.publish", target=article)

    return article


def article_unpublish(*, actor, article: Article) -> Article:
    """Back to draft (hidden again)."""
    _require_editor(actor)
    article.status = ArticleStatus.DRAFT
    article.updated_at = timezone.now()
    with transaction.atomic():
        article.save(update_fields=["status", "updated_at"])
        audit(actor=actor, action="content.article.unpublish", target=article)
    return article


def article_archive(*, actor, article: Article) -> Article:
    _require_editor(actor)
    article.status = ArticleStatus.ARCHIVED
    article.updated_at = timezone.now()
    with transaction.atomic():
        article.save(update_fields=["status", "updated_at"])
        audit(actor=actor, action="content.article.archive", target=article)
    return article


def publish_scheduled_articles(*, now: datetime | None = None) -> int:
    """Bookkeeping for the periodic command: scheduled articles whose time has come become 'published'.

    Readers never wait for this: visibility is a query on publish_at (Article.objects.visible()).
    """
    now = now or timezone.now()
    count = 0
    for article in Article.objects.due_for_bookkeeping(now).prefetch_related("authors"):
        with transaction.atomic():
            flipped = Article.objects.filter(pk=article.pk, status=ArticleStatus.SCHEDULED).update(
                status=ArticleStatus.PUBLISHED
            )
            if flipped:
                count += 1
                authors = list(article.authors.all())
                _open_discussion(article, author=authors[0] if authors else article.created_by)
    return count


def _open_discussion(article: Article, *, author) -> None:
    """Create the forum topic where readers comment, through the forum's own action, once.

    The forum category comes from settings.CONTENT_DISCUSSION_CATEGORY (a slug); without it, or without the
    forum app, articles simply have no linked discussion.
    """
    if article.discussion_topic_id or author is None:
        return
    slug = getattr(settings, "CONTENT_DISCUSSION_CATEGORY", "")
    if not slug:
        return
    try:
        from community.forum.actions import topic_create
        from community.forum.models import Category
    except ImportError:
        return
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        log.warning("content: discussion category %r does not exist", slug)
        return
    url = settings.SITE_URL + article.get_absolute_url()
    raw = f"{article.summary or article.title}\n\n{url}"
    try:
        with transaction.atomic():
            topic = topic_create(author=author, category=category, title=article.title, raw=raw,
                                 tags=[tag.name for tag in article.tags.all()][:5], token=f"article-{article.pk}",
                                 language=article.language)
    except (PermissionDenied, ValueError) as exc:
        log.warning("content: could not open the discussion of article %s: %s", article.pk, exc)
        return
    Article.objects.filter(pk=article.pk).update(discussion_topic=topic)
    article.discussion_topic = topic


def article_read(*, member, article: Article) -> bool:
    """A member opened the article page: participation recorded at the first read only."""
    if member is None or not member.is_authenticated:
        return False
    try:
        with transaction.atomic():
            _read, created = ArticleRead.objects.get_or_create(article=article, member=member)
            if created:
                record(member=member, kind="article.read", subject=article)
    except IntegrityError:  # the same member reading in two tabs at once
        return False
    return created


def helpful_vote(*, member, article: Article, helpful: bool) -> HelpfulVote:
    """'Was this helpful?': one answer per member; answering again changes it."""
    if member is None or not member.is_authenticated:
        raise PermissionDenied(_("Sign in to answer."))
    if not article.is_visible():
        raise ArticleError(_("This article is not published."))
    with transaction.atomic():
        vote, _created = HelpfulVote.objects.update_or_create(
            article=article, member=member, defaults={"helpful": bool(helpful)}
        )
    return vote


def tag_follow(*, member, tag: Tag) -> TagFollow:
    if member is None or not member.is_authenticated:
        raise PermissionDenied(_("Sign in to follow tags."))
    follow, _created = TagFollow.objects.get_or_create(member=member, tag=tag)
    return follow


def tag_unfollow(*, member, tag: Tag) -> None:
    if member is None or not member.is_authenticated:
        raise PermissionDenied(_("Sign in to follow tags."))
    TagFollow.objects.filter(member=member, tag=tag).delete()
