"""Query counts: every page is constant in the number of rows it shows; a member's topic page <= 10 queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.forum import actions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_visit_bookkeeping(monkeypatch):
    """The metrics middleware writes last-seen at most once a minute per member; slow runs (PostgreSQL) cross
    that minute between two measurements. It is the metrics app's cost, the same for every page: left out."""
    monkeypatch.setattr("community.metrics.middleware.VisitMiddleware.note_visit", staticmethod(lambda user: None))


@pytest.fixture(autouse=True)
def _render_path(settings):
    """Anonymous pages come from community.forum.pagecache when nothing changed (two queries, see
    tests/forum/test_pagecache.py), and members' pages from what members share (tests/forum/test_shared.py);
    these tests count the queries of rendering them from scratch."""
    settings.FORUM_ANONYMOUS_PAGE_CACHE = False
    settings.FORUM_SHARED_CACHE = False


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture
def warm(login, reader):
    """A signed-in member whose once-a-minute visit bookkeeping (metrics middleware) is already done."""
    client = login(reader)
    client.get("/categories/")
    return client


def _topic_with(make_topic, add_replies, settled_member, reader, n_posts: int, title: str):
    topic = make_topic(title=title, tags="alpha beta")
    posts = [topic.posts.get(number=1), *add_replies(topic, n_posts - 1)]
    liker = settled_member()
    for post in posts:  # reactions of others and of the viewer, bookmarks: all must stay constant
        actions.reaction_toggle(user=liker, post=post, kind="like")
        if post.author_id != reader.pk:
            actions.reaction_toggle(user=reader, post=post, kind="heart")
            actions.bookmark_toggle(user=reader, post=post)
    return topic


def test_member_topic_page_at_most_10_queries_and_constant(warm, make_topic, add_replies, settled_member, reader,
                                                          django_assert_max_num_queries):
    small = _topic_with(make_topic, add_replies, settled_member, reader, 2, "Small topic")
    big = _topic_with(make_topic, add_replies, settled_member, reader, 20, "Big topic")
    with django_assert_max_num_queries(10):
        first_view_big = warm.get(big.get_absolute_url())
    assert first_view_big.content.decode().count('<article class="post') == 20
    first_small = count_queries(warm, small.get_absolute_url())
    # the first view writes the read state; compare like with like
    assert first_small == count_queries_first(warm, make_topic, add_replies, settled_member, reader, 20)
    again_small = count_queries(warm, small.get_absolute_url())
    again_big = count_queries(warm, big.get_absolute_url())
    assert again_small == again_big <= 10


def count_queries_first(client, make_topic, add_replies, settled_member, reader, n: int) -> int:
    topic = _topic_with(make_topic, add_replies, settled_member, reader, n, f"Another {n}")
    return count_queries(client, topic.get_absolute_url())


def test_anonymous_topic_page_constant(client, make_topic, add_replies, settled_member, reader):
    small = _topic_with(make_topic, add_replies, settled_member, reader, 2, "Small")
    big = _topic_with(make_topic, add_replies, settled_member, reader, 20, "Big")
    assert count_queries(client, small.get_absolute_url()) == count_queries(client, big.get_absolute_url()) <= 6


def test_moderator_topic_page_constant(login, moderator, make_topic, add_replies, settled_member, reader):
    client = login(moderator)
    client.get("/categories/")
    small = _topic_with(make_topic, add_replies, settled_member, reader, 2, "Small")
    big = _topic_with(make_topic, add_replies, settled_member, reader, 20, "Big")
    actions.post_delete(actor=moderator, post=big.posts.get(number=5))
    assert count_queries(client, small.get_absolute_url()) == count_queries(client, big.get_absolute_url())


def _topics(make_topic, make_category, reader, n: int, prefix: str):
    category = make_category(slug=f"{prefix}-cat")
    for i in range(n):
        topic = make_topic(title=f"{prefix} topic {i}", cat=category, tags=f"{prefix}tag common")
        if i % 2:
            actions.mark_read(user=reader, topic=topic, number=1)
    return category


LIST_URLS = ["/", "/top/?period=all", "/unanswered/", "/c/{slug}/", "/tag/{prefix}tag/", "/categories/",
             "/search/?q={prefix}", "/feeds/latest.rss", "/feeds/c/{slug}.rss"]


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize("signed_in", [False, True])
def test_lists_constant_in_number_of_topics(url, signed_in, client, warm, make_topic, make_category, reader,
                                            django_assert_max_num_queries):
    viewer = warm if signed_in else client
    # prefixes are words no stemmer drops (English "few" is a stop word: no hits, one query less)
    few = _topics(make_topic, make_category, reader, 2, "quince")
    viewer.get(url.format(slug=few.slug, prefix="quince"))  # per-process caches (the current Site for feeds)
    counts = [count_queries(viewer, url.format(slug=few.slug, prefix="quince"))]
    many = _topics(make_topic, make_category, reader, 20, "mango")
    counts.append(count_queries(viewer, url.format(slug=many.slug, prefix="mango")))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(12):
        viewer.get(url.format(slug=many.slug, prefix="mango"))


def test_unread_and_bookmarks_constant(warm, make_topic, make_category, reader, settled_member):
    def fill(n, prefix):
        category = make_category(slug=f"{prefix}-c")
        for i in range(n):
            topic = make_topic(title=f"{prefix} {i}", cat=category)
            actions.mark_read(user=reader, topic=topic, number=1)
            actions.reply_create(author=settled_member(), topic=topic, raw="new")
            actions.bookmark_toggle(user=reader, post=topic.posts.get(number=1))

    fill(2, "a")
    counts = [count_queries(warm, "/unread/"), count_queries(warm, "/bookmarks/")]
    fill(18, "b")
    assert [count_queries(warm, "/unread/"), count_queries(warm, "/bookmarks/")] == counts


def test_review_queue_constant(login, moderator, make_topic, reader, settled_member):
    client = login(moderator)
    client.get("/categories/")
    flagger = settled_member()

    def flag(n):
        for i in range(n):
            topic = make_topic(title=f"Flagged {i}")
            actions.flag_create(user=flagger, post=topic.posts.get(number=1), reason="spam")

    flag(2)
    few = count_queries(client, "/review/")
    flag(18)
    assert count_queries(client, "/review/") == few


def test_audit_log_constant(login, moderator, make_topic):
    client = login(moderator)
    client.get("/categories/")

    def pin(n):
        for i in range(n):
            actions.topic_pin(actor=moderator, topic=make_topic(title=f"Audited {i}"))

    pin(2)
    few = count_queries(client, "/review/audit/")
    pin(18)
    assert count_queries(client, "/review/audit/") == few


@pytest.mark.parametrize("signed_in", [False, True])
def test_empty_list_costs_no_more_than_a_full_one(signed_in, client, warm, make_topic, make_category, reader):
    """An empty page reads the live stream head on its own (no rows carry it): still within the list's cost."""
    viewer = warm if signed_in else client
    empty = make_category(slug="empty-cat")
    viewer.get(f"/c/{empty.slug}/")
    full = _topics(make_topic, make_category, reader, 2, "quince")
    assert count_queries(viewer, f"/c/{empty.slug}/") <= count_queries(viewer, f"/c/{full.slug}/")
