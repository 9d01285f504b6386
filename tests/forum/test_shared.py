"""Members' pages from what members share (community.forum.shared): each member still sees their own state."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test.utils import CaptureQueriesContext

from community.forum import actions
from community.forum.models import AccessLevel, SubscriptionLevel
from community.forum.pagecache import CSRF_MARK

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_visit_bookkeeping(monkeypatch):
    monkeypatch.setattr("community.metrics.middleware.VisitMiddleware.note_visit", staticmethod(lambda user: None))


def _page(client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(ctx.captured_queries)


def _post(html: str, number: int) -> str:
    match = re.search(rf'<article [^>]*id="post-{number}".*?</article>', html, re.S)
    assert match, f"post {number} not on the page"
    return match.group(0)


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_each_member_sees_their_own_reactions_bookmarks_and_edit_links(login, topic, add_replies, reader,
                                                                      settled_member):
    other = settled_member()
    reply, mine = add_replies(topic, 1)[0], actions.reply_create(author=reader, topic=topic, raw="My own reply")
    actions.reaction_toggle(user=reader, post=reply, kind="heart")
    actions.bookmark_toggle(user=reader, post=reply)
    url = topic.get_absolute_url()
    theirs, _ = _page(login(other), url)  # the other member fills the shared cache first
    html, _ = _page(login(reader), url)

    assert 'value="heart" class="reaction mine" aria-pressed="true"' in _post(html, reply.number)
    assert 'value="heart" class="reaction mine"' not in _post(theirs, reply.number)
    assert 'aria-pressed="true">Bookmarked' in _post(html, reply.number)
    assert 'aria-pressed="false">Bookmark' in _post(theirs, reply.number)
    assert f'/p/{mine.pk}/edit"' in _post(html, mine.number) and f'/p/{mine.pk}/edit"' not in _post(theirs, mine.number)
    assert f'/p/{mine.pk}/flag"' not in _post(html, mine.number) and f'/p/{mine.pk}/flag"' in _post(theirs, mine.number)
    for page in (html, theirs):
        assert CSRF_MARK not in page
    # The shared HTML carries this member's own form token (masked differently, the same secret).
    assert _unmask_cipher_token(_token(_post(html, 1))) == _unmask_cipher_token(_token(html))


def test_second_member_view_reads_no_rows_and_stays_constant(login, make_topic, add_replies, reader,
                                                           settled_member):
    small, big = make_topic(title="Small one"), make_topic(title="Big one")
    add_replies(small, 1)
    add_replies(big, 19)
    client = login(reader)
    counts = []
    for topic in (small, big):
        _page(login(settled_member()), topic.get_absolute_url())  # someone else warmed it
        client.get(topic.get_absolute_url())  # this member's first view writes their read mark
        counts.append(_page(client, topic.get_absolute_url())[1])
    # session, member, the member's state with their permissions (one raw query), unread notifications
    assert counts[0] == counts[1] <= 4, counts


def test_a_new_reply_edit_and_deletion_show_at_once(login, topic, add_replies, reader, moderator):
    client = login(reader)
    url = topic.get_absolute_url()
    _page(client, url)
    reply = add_replies(topic, 1)[0]
    assert f'id="post-{reply.number}"' in _page(client, url)[0]
    actions.post_edit(editor=reply.author, post=reply, raw="Changed words")
    assert "Changed words" in _page(client, url)[0]
    actions.post_delete(actor=moderator, post=reply)
    assert f'id="post-{reply.number}"' not in _page(client, url)[0]


def test_moderators_and_members_with_held_posts_see_what_others_do_not(login, make_category, make_topic, author,
                                                                      make_member, reader, moderator):
    make_topic(title="An approved topic gives the author trust")
    held_here = make_category(slug="held", hold_new_member_posts=True)
    topic = make_topic(cat=held_here, title="Questions welcome")
    newcomer = make_member()
    held = actions.reply_create(author=newcomer, topic=topic, raw="My first words, waiting")
    deleted = actions.reply_create(author=author, topic=topic, raw="Soon gone")
    actions.post_delete(actor=moderator, post=deleted)
    url = topic.get_absolute_url()

    others = _page(login(reader), url)[0]
    assert f'id="post-{held.number}"' not in others and f'id="post-{deleted.number}"' not in others
    assert f'id="post-{held.number}"' in _page(login(newcomer), url)[0]
    as_moderator = _page(login(moderator), url)[0]
    assert f'id="post-{deleted.number}"' in as_moderator and f'id="post-{held.number}"' in as_moderator
    assert f'id="post-{held.number}"' not in _page(login(reader), url)[0]  # still not for the others


def test_a_category_closed_to_members_is_closed_at_once(login, make_category, make_topic, reader, staff_member):
    lounge = make_category(slug="lounge")
    topic = make_topic(cat=lounge, title="Behind the scenes")
    client = login(reader)
    _page(client, topic.get_absolute_url())
    assert f'data-topic-id="{topic.pk}"' in _page(client, "/")[0]
    lounge.access_level = AccessLevel.ROLES
    lounge.save(update_fields=["access_level"])
    assert client.get(topic.get_absolute_url()).status_code == 404
    assert f'data-topic-id="{topic.pk}"' not in _page(client, "/")[0]


def test_lists_show_each_member_their_own_new_unread_and_muted(login, make_topic, add_replies, reader,
                                                             settled_member):
    read_it, muted = make_topic(title="Read by the reader"), make_topic(title="Muted by the reader")
    other = login(settled_member())
    client = login(reader)
    actions.mark_read(user=reader, topic=read_it, number=1)
    actions.subscription_set(user=reader, topic=muted, level=SubscriptionLevel.MUTED)
    add_replies(read_it, 1)
    theirs = _page(other, "/")[0]  # fills the shared rows
    mine = _page(client, "/")[0]
    row = re.search(rf'<tr data-topic-id="{read_it.pk}">.*?</tr>', mine, re.S).group(0)
    assert f"{read_it.get_absolute_url()}2" in row and "unread" in row  # jump to the first unread post
    assert f'data-topic-id="{muted.pk}"' not in mine and f'data-topic-id="{muted.pk}"' in theirs
    their_row = re.search(rf'<tr data-topic-id="{read_it.pk}">.*?</tr>', theirs, re.S).group(0)
    assert "unread-link" not in their_row and "new" in their_row

    # Reading moves this member's counts at once, though the forum did not change.
    assert "data-unread-topics>1<" in mine
    client.get(read_it.get_absolute_url())
    after = _page(client, "/")[0]
    row = re.search(rf'<tr data-topic-id="{read_it.pk}">.*?</tr>', after, re.S).group(0)
    assert "unread-link" not in row and "data-unread-topics" not in after


def test_second_member_list_view_is_constant(login, make_topic, make_category, reader, settled_member):
    def fill(n, prefix):
        category = make_category(slug=f"{prefix}-c")
        for i in range(n):
            topic = make_topic(title=f"{prefix} {i}", cat=category)
            if i % 2:
                actions.mark_read(user=reader, topic=topic, number=1)
        return category

    client = login(reader)
    counts = []
    for n, prefix in ((2, "few"), (20, "many")):
        category = fill(n, prefix)
        for url in ("/", f"/c/{category.slug}/"):
            _page(login(settled_member()), url)
            client.get(url)
            counts.append(_page(client, url)[1])
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    # session, member, the member's list state (with permissions and categories), their read marks of the
    # rows, unread notifications; a category's page also reads the category
    assert counts[0] <= 5 and counts[1] <= 6, counts
