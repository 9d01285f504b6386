"""Forum search: PostgreSQL full text with ranking and highlighted snippets, a plain fallback elsewhere.

Each post is searched with its own language's text search configuration (`Post.search_config`: `english`
for English, `simple` for Swahili, Latvian and Armenian, which PostgreSQL has no stemmer for). Results
respect category access, soft deletion and moderation exactly like pages do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from community.forum.models import SEARCH_CONFIGS, Post
from community.forum.permissions import visible_category_ids
from community.markup import to_plain_text

RESULTS_PER_PAGE = 20
SNIPPET_START = "\x02"  # markers PostgreSQL puts around hits; replaced by <mark> after escaping
SNIPPET_STOP = "\x03"


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    category_id: int | None = None
    tag: str = ""
    author: str = ""  # a handle, with or without @
    since: date | None = None
    until: date | None = None


def _base(user, filters: SearchFilters) -> QuerySet:
    qs = Post.objects.alive().filter(topic__deleted_at__isnull=True, topic__approved=True)
    ids = visible_category_ids(user)
    if ids is not None:
        qs = qs.filter(topic__category_id__in=ids)
    if filters.category_id:
        qs = qs.filter(topic__category_id=filters.category_id)
    if filters.tag:
        qs = qs.filter(topic__tags__slug=filters.tag)
    if filters.author:
        qs = qs.filter(author__handle__iexact=filters.author.lstrip("@"))
    if filters.since:
        qs = qs.filter(created_at__date__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__date__lte=filters.until)
    return qs.select_related("topic__category", "author")


def search_posts(user, filters: SearchFilters, *, page: int | str = 1) -> Page:
    """A page of matching posts, each with `.snippet` (safe HTML: escaped text and <mark> around hits)."""
    q = " ".join(filters.q.split())[:200]
    qs = _base(user, filters)
    if not q:
        return Paginator(qs.none(), RESULTS_PER_PAGE).get_page(1)
    if connection.vendor == "postgresql":
        results = _postgres(qs, q)
    else:
        results = qs.filter(Q(raw__icontains=q) | Q(topic__title__icontains=q, number=1)).order_by("-created_at")
    page_obj = Paginator(results, RESULTS_PER_PAGE).get_page(page)
    for post in page_obj.object_list:
        headline = getattr(post, "headline", None)
        post.snippet = _mark_hits(headline) if headline is not None else _plain_snippet(post.html, q)
    return page_obj


def _postgres(qs: QuerySet, q: str) -> QuerySet:
    """Ranked matches on the stored vector (GIN index). The query is parsed with every configuration in use
    and OR-ed, so that it stays one constant tsquery the index can serve: English posts match on stems,
    Swahili, Latvian and Armenian ones on words; the snippet is cut with the post's own configuration."""
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

    query = None
    for config in sorted(set(SEARCH_CONFIGS.values())):
        part = SearchQuery(q, config=config, search_type="websearch")
        query = part if query is None else query | part
    return (
        qs.filter(search_vector=query)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .annotate(headline=SearchHeadline(
            "raw", query, config=F("search_config"), start_sel=SNIPPET_START, stop_sel=SNIPPET_STOP,
            max_words=35, min_words=15, max_fragments=2))
        .order_by("-rank", "-created_at")
    )


def _mark_hits(headline: str) -> SafeString:
    """Escape PostgreSQL's headline (raw member text!) and only then turn our markers into <mark>."""
    text = escape(headline)
    text = text.replace(SNIPPET_START, "<mark>").replace(SNIPPET_STOP, "</mark>")
    return mark_safe(text)  # noqa: S308 - everything but our own <mark> tags was escaped above


def _plain_snippet(html: str, q: str, width: int = 220) -> SafeString:
    """The fallback snippet: plain text around the first hit, escaped, hits wrapped in <mark>."""
    text = to_plain_text(html)
    lower = text.lower()
    at = lower.find(q.lower())
    start = max(0, at - width // 3) if at >= 0 else 0
    piece = text[start:start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    escaped = escape(prefix + piece + suffix)
    pattern = re.compile(re.escape(escape(q)), re.IGNORECASE)
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))  # noqa: S308
