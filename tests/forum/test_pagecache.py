"""Anonymous forum pages come from a cache keyed by the page's live stream head (community.forum.pagecache)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.forum import actions
from community.forum.models import AccessLevel, Topic

pytestmark = pytest.mark.django_db


def _get(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(ctx.captured_queries)


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_second_anonymous_view_is_cached_and_a_reply_shows_at_once(client, topic, add_replies):
    url = topic.get_absolute_url()
    first, _ = _get(client, url)
    again, queries = _get(client, url)
    assert queries <= 2 and again.replace(_token(again), "") == first.replace(_token(first), "")
    reply = add_replies(topic, 1)[0]
    html, _ = _get(client, url)
    assert f'id="post-{reply.number}"' in html
    for path in ("/", f"/c/{topic.category.slug}/"):
        _get(client, path)
        actions.reply_create(author=reply.author, topic=topic, raw="Another one")
        html, _ = _get(client, path)
        assert f">{Topic.objects.get(pk=topic.pk).reply_count}</td>" in html


def test_deleted_post_and_topic_disappear_at_once(client, topic, add_replies, moderator):
    post = add_replies(topic, 1)[0]
    url = topic.get_absolute_url()
    assert f'id="post-{post.number}"' in _get(client, url)[0]
    _get(client, "/")
    actions.post_delete(actor=moderator, post=post)
    assert f'id="post-{post.number}"' not in _get(client, url)[0]
    actions.post_delete(actor=moderator, post=topic.posts.get(number=1))
    assert client.get(url).status_code == 404
    assert f'data-topic-id="{topic.pk}"' not in _get(client, "/")[0]


def test_category_made_private_leaves_the_anonymous_pages_at_once(client, topic, staff_member):
    assert f'data-topic-id="{topic.pk}"' in _get(client, "/")[0]
    _get(client, topic.get_absolute_url())
    topic.category.access_level = AccessLevel.MEMBERS
    topic.category.save(update_fields=["access_level"])  # no live event: the access levels are in the key
    assert f'data-topic-id="{topic.pk}"' not in _get(client, "/")[0]
    assert client.get(topic.get_absolute_url()).status_code == 404


def test_each_reader_gets_a_working_csrf_token_and_members_are_never_served_the_cache(client, topic, login, reader):
    url = topic.get_absolute_url()
    first, _ = _get(client, url)
    other = Client(enforce_csrf_checks=True)
    html, queries = _get(other, url)
    assert queries <= 2 and "@@" not in html
    token = _token(html)
    assert token != _token(first) and other.cookies.get("csrftoken")
    response = other.post(reverse("accounts:set_language"), {"language": "en", "next": "/",
                                                             "csrfmiddlewaretoken": token})
    assert response.status_code == 302  # the substituted token passes the CSRF check
    forged = Client(enforce_csrf_checks=True)
    forged.get(url)
    assert forged.post(reverse("accounts:set_language"), {"language": "en", "next": "/",
                                                          "csrfmiddlewaretoken": "x" * 64}).status_code == 403
    member_html, member_queries = _get(login(reader), url)
    assert member_queries > 2 and 'id="reply"' in member_html and "Log in to reply" not in member_html


def test_views_are_still_counted_on_cached_pages(client, topic, settings):
    url = topic.get_absolute_url()
    for _ in range(10):
        _get(client, url)
    assert Topic.objects.get(pk=topic.pk).view_count == 10


def test_other_query_strings_and_messages_are_not_cached(client, topic):
    url = topic.get_absolute_url()
    _get(client, url)
    assert _get(client, url + "?page=1")[1] > 2  # first time: rendered
    assert _get(client, url + "?page=1")[1] <= 2
    assert _get(client, url + "?x=1")[1] > 2
    assert _get(client, url + "?x=1")[1] > 2
    client.cookies["messages"] = "anything"
    assert _get(client, url)[1] > 2
