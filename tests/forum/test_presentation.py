"""The topic page's posts and the lists' rows are built in Python (community.forum.presentation) for speed; the
templates (forum/_post.html, the live fragment) stay the reference: both must give the same HTML."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string

from community.forum import actions, selectors
from community.forum.permissions import can_post
from community.forum.presentation import Links, decorate, posts_html

pytestmark = pytest.mark.django_db

TOKEN = "T0kenT0kenT0kenT0ken"


def _norm(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


@pytest.fixture
def busy_topic(make_category, make_topic, author, add_replies, reader, moderator):
    qa = make_category(name="Questions & <answers>", slug="qa", qa_mode=True)
    topic = make_topic(by=author, cat=qa, title="Why <b>not</b>?")
    replies = add_replies(topic, 5)
    replies.append(actions.reply_create(author=reader, topic=topic, raw="Mine, in reply", reply_to=replies[0]))
    actions.post_edit(editor=replies[1].author, post=replies[1], raw="Edited <script>x</script> text")
    actions.post_delete(actor=moderator, post=replies[2])
    actions.answer_accept(actor=author, post=replies[0])
    actions.reaction_toggle(user=reader, post=replies[0])
    actions.bookmark_toggle(user=reader, post=replies[3])
    return topic


@pytest.mark.parametrize("who", ["anonymous", "author", "reader", "moderator"])
def test_posts_html_is_the_post_template(who, busy_topic, author, reader, moderator):
    viewer = {"anonymous": AnonymousUser(), "author": author, "reader": reader, "moderator": moderator}[who]
    topic = selectors.topic_for(viewer, busy_topic.pk)
    data = selectors.topic_page(viewer, topic, page=1)
    links = Links(topic)
    decorate(data.posts, links, mine=data.my_reactions, bookmarked=data.bookmarked, viewer=viewer,
             moderator=data.moderator)
    signed_in = viewer.is_authenticated
    posting = can_post(viewer, topic, full=False)
    can_accept = signed_in and (data.moderator or topic.author_id == viewer.pk)
    built = posts_html(data.posts, links, csrf_token=TOKEN, signed_in=signed_in, posting=posting,
                       moderator=data.moderator, can_accept=can_accept)
    assert len(built) == len(data.posts) >= 6
    for post, html in zip(data.posts, built):
        expected = render_to_string("forum/_post.html", {
            "post": post, "topic": topic, "links": links, "signed_in": signed_in, "posting": posting,
            "moderator": data.moderator, "can_accept": can_accept, "csrf_token": TOKEN})
        assert _norm(html) == _norm(expected), post.number
    page = "".join(built)
    assert "&lt;script&gt;" in page and "<script>x" not in page  # member text stays escaped / sanitised
    if who == "moderator":
        assert "/restore" in page
    if who == "reader":
        assert 'aria-pressed="true">Bookmarked' in page and "mine" in page


def test_topic_rows_escape_and_mark(client, login, make_topic, make_category, reader, author):
    cat = make_category(name="<i>Cat</i>", slug="cat-x")
    opened = make_topic(by=author, cat=cat, title="Opened <em>topic</em>")
    make_topic(by=author, cat=cat, title="Never opened")
    actions.mark_read(user=reader, topic=opened, number=1)
    actions.reply_create(author=author, topic=opened, raw="news")
    html = login(reader).get("/c/cat-x/").content.decode()
    assert "Opened &lt;em&gt;topic&lt;/em&gt;" in html and "&lt;i&gt;Cat&lt;/i&gt;" in html
    assert f'href="{opened.get_absolute_url()}2">unread</a>' in html
    assert html.count('class="tag-pill new"') == 1
