"""Whole-page HTML cache for anonymous readers of the topic lists and topic pages.

Every anonymous reader of a page sees the same HTML but for the CSRF token, so the page is rendered once and
kept in the cache, keyed by what decides its content:

- the head (newest event id) of the live stream the page follows (latest, the category's, the topic's). Every
  action that changes what these pages show publishes on that stream inside its transaction
  (community.forum.actions._common.publish_topic / publish_post), so a new reply, an edit, a deletion, a
  reaction, a move, a lock... moves the head at commit and the next reader gets a freshly rendered page. The
  page embeds that same head (data-live-streams), so the cached HTML and its live cursor always agree.
- which categories anonymous readers may see (ids and access levels): a category made private is gone at once;
- the path and page number, the language and the time zone.

What no event announces (a member renaming themselves, view counts, a category's colour) is at most
ANONYMOUS_PAGE_SECONDS old. Members never get a cached page (their pages carry their own state); neither does
a reader with flash messages waiting, nor any query string but "page=N".
Setting FORUM_ANONYMOUS_PAGE_CACHE (default True) turns it off (the query-count tests measure the render path).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

ANONYMOUS_PAGE_SECONDS = 30
CSRF_MARK = "@@forum-page-csrf-token@@"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')
_PAGE_QUERY = re.compile(r"page=[1-9][0-9]{0,5}")


def _cacheable(request: HttpRequest) -> bool:
    if request.method != "GET" or request.user.is_authenticated \
            or not getattr(settings, "FORUM_ANONYMOUS_PAGE_CACHE", True):
        return False
    query = request.META.get("QUERY_STRING", "")
    if query and not _PAGE_QUERY.fullmatch(query):
        return False
    if request.COOKIES.get("messages"):
        return False
    session = getattr(request, "session", None)
    return not (session is not None and session.session_key and session.get("_messages"))


def _categories() -> list[tuple]:
    from community.forum.models import Category

    with connection.cursor() as cursor:  # raw: compiling an ORM query would cost more than running it
        cursor.execute(f"SELECT id, access_level, slug FROM {Category._meta.db_table} ORDER BY id")
        return cursor.fetchall()


def _head(stream: str) -> int:
    from community.live.models import StreamCounter

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_seq FROM {StreamCounter._meta.db_table} WHERE stream = %s", [stream])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def anonymous_page(request: HttpRequest, stream: Callable[[dict[str, int]], str | None],
                   render: Callable[[], HttpResponse], on_hit: Callable[[], None] | None = None) -> HttpResponse:
    """`render()`'s response, from the cache for anonymous readers while the page has not changed.

    `stream(category_ids_by_slug)` names the live stream the page follows (None: do not cache).
    """
    if not _cacheable(request):
        return render()
    categories = _categories()
    name = stream({slug: pk for pk, _level, slug in categories})
    if name is None:
        return render()
    parts = (f"{request.path}?{request.META.get('QUERY_STRING', '')}|{translation.get_language()}|"
             f"{timezone.get_current_timezone_name()}|{name}@{_head(name)}|"
             + ",".join(f"{pk}:{level}" for pk, level, _slug in categories))
    key = "forum:anon-page:" + hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()
    html = cache.get(key)
    if html is not None:
        if on_hit is not None:
            on_hit()
        return HttpResponse(html.replace(CSRF_MARK, get_token(request)))
    response = render()
    if response.status_code == 200 and not response.streaming:
        content = response.content.decode(response.charset or settings.DEFAULT_CHARSET)
        token = _TOKEN.search(content)
        if token is not None and '<div class="messages"' not in content:
            cache.set(key, content.replace(token.group(1), CSRF_MARK), ANONYMOUS_PAGE_SECONDS)
    return response
