"""Forum pages: access (404 where restricted), forms without JavaScript, htmx fragments, read state."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import AuditLog
from community.forum import actions
from community.forum.models import AccessLevel, Draft, Post, Reaction, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(make_category):
    return make_category(name="Insiders", slug="insiders", access_level=AccessLevel.ROLES,
                         access_groups=[Group.objects.create(name="Beta testers")])


@pytest.fixture
def secret_topic(secret, staff_member):
    topic = actions.topic_create(author=staff_member, category=secret, title="Unreleased firmware notes",
                                 raw="The zebrafirmware ships in May.")
    return topic


# --- Lists ---------------------------------------------------------------------------------------------------

def test_latest_is_the_home_page_with_pinned_first(client, make_topic, moderator):
    old = make_topic(title="Old but pinned")
    make_topic(title="Fresh topic")
    actions.topic_pin(actor=moderator, topic=old)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Old but pinned") < html.index("Fresh topic")
    assert 'aria-current="page">Latest' in html


def test_lists_paginate_20_per_page(client, make_topic):
    for i in range(23):
        make_topic(title=f"Paged topic {i:02d}")
    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    assert first.count('class="topic-title"') == 20
    assert second.count('class="topic-title"') == 3
    assert "Page 2 of 2" in second


def test_top_unanswered_category_and_tag_lists(client, make_topic, make_category, reader, settled_member):
    other = make_category(name="Other", slug="other")
    answered = make_topic(title="Answered question", tags="wifi")
    lonely = make_topic(title="Lonely question", cat=other, tags="bluetooth")
    actions.reply_create(author=reader, topic=answered, raw="Answer")
    actions.reaction_toggle(user=settled_member(), post=answered.posts.get(number=1))
    top = client.get("/top/?period=week").content.decode()
    assert top.index("Answered question") < top.index("Lonely question")
    unanswered = client.get("/unanswered/").content.decode()
    assert "Lonely question" in unanswered and "Answered question" not in unanswered
    by_category = client.get("/c/other/").content.decode()
    assert "Lonely question" in by_category and "Answered question" not in by_category
    by_tag = client.get("/tag/wifi/").content.decode()
    assert "Answered question" in by_tag and "Lonely question" not in by_tag
    assert client.get("/tag/no-such-tag/").status_code == 404


def test_members_only_category_hidden_from_anonymous(client, members_only, make_topic, reader, login):
    topic = make_topic(cat=members_only, title="Members chat")
    assert client.get("/c/lounge/").status_code == 404
    assert client.get(topic.get_absolute_url()).status_code == 404
    assert "Members chat" not in client.get("/").content.decode()
    member = login(reader)
    assert member.get("/c/lounge/").status_code == 200
    assert "Members chat" in member.get("/").content.decode()


# --- Restricted category: 404 everywhere -------------------------------------------------------------------------

def test_member_without_role_gets_404_everywhere(secret, secret_topic, reader, login):
    member = login(reader)
    assert member.get("/c/insiders/").status_code == 404
    assert member.get(secret_topic.get_absolute_url()).status_code == 404
    assert member.get(secret_topic.post_url(1)).status_code == 404
    assert member.get(f"/search/?q=zebrafirmware&category={secret.pk}").status_code == 404
    search = member.get("/search/?q=zebrafirmware").content.decode()
    assert "Unreleased firmware" not in search and "0 results" in search
    assert member.get("/feeds/c/insiders.rss").status_code == 404
    assert "Unreleased firmware" not in member.get("/feeds/latest.rss").content.decode()
    assert "Unreleased firmware" not in member.get("/").content.decode()
    post = secret_topic.posts.get(number=1)
    assert member.get(f"/p/{post.pk}/edit").status_code == 404
    assert member.post(f"/p/{post.pk}/react", {"kind": "like"}).status_code == 404
    assert member.post(secret_topic.get_absolute_url() + "reply", {"raw": "hi"}).status_code == 404
    assert member.get(f"/p/{post.pk}/revisions").status_code == 404


def test_member_with_role_reads_restricted_category(secret, secret_topic, reader, login):
    reader.groups.add(Group.objects.get(name="Beta testers"))
    member = login(reader)
    assert member.get("/c/insiders/").status_code == 200
    assert member.get(secret_topic.get_absolute_url()).status_code == 200
    assert "Unreleased firmware" in member.get("/search/?q=zebrafirmware").content.decode()
    assert member.get("/feeds/c/insiders.rss").status_code == 200


def test_anonymous_gets_404_on_restricted_feed_and_permalink(client, secret_topic):
    assert client.get("/feeds/c/insiders.rss").status_code == 404
    assert client.get(secret_topic.post_url(1)).status_code == 404


# --- Topic page and permalinks --------------------------------------------------------------------------------------

def test_topic_pages_of_20_and_permalink_redirects_to_page_with_anchor(client, topic, add_replies):
    add_replies(topic, 24)  # 25 posts: page 1 has 1-20, page 2 has 21-25
    page1 = client.get(topic.get_absolute_url()).content.decode()
    assert 'id="post-20"' in page1 and 'id="post-21"' not in page1
    page2 = client.get(topic.get_absolute_url() + "?page=2").content.decode()
    assert 'id="post-21"' in page2 and 'id="post-25"' in page2 and 'id="post-1"' not in page2
    assert client.get(topic.get_absolute_url() + "?page=3").status_code == 404
    response = client.get(topic.post_url(23))
    assert response.status_code == 302 and response.url == topic.get_absolute_url() + "?page=2#post-23"
    assert client.get(topic.post_url(3)).url == topic.get_absolute_url() + "#post-3"
    assert client.get(topic.post_url(99)).status_code == 404


def test_wrong_slug_redirects(client, topic):
    response = client.get(f"/t/wrong-slug/{topic.pk}/")
    assert response.status_code == 302 and response.url == topic.get_absolute_url()


def test_accepted_answer_shown_under_question(client, make_category, make_topic, author, reader):
    qa = make_category(qa_mode=True, slug="qa")
    question = make_topic(cat=qa, title="Which cable?")
    actions.reply_create(author=reader, topic=question, raw="Filler reply")
    answer = actions.reply_create(author=reader, topic=question, raw="Use the **USB-C** one")
    actions.answer_accept(actor=author, post=answer)
    html = client.get(question.get_absolute_url()).content.decode()
    box = html.index('class="accepted-answer"')
    assert html.index('id="post-1"') < box < html.index('id="post-2"')
    assert "<strong>USB-C</strong>" in html[box:html.index('id="post-2"')]
    assert "Solved" in client.get("/c/qa/").content.decode()


def test_soft_deleted_post_disappears_from_page_search_and_feed(client, topic, reader, moderator, login):
    post = actions.reply_create(author=reader, topic=topic, raw="Mention of the quokkamagic word")
    assert "quokkamagic" in client.get(topic.get_absolute_url()).content.decode()
    assert f'data-post-id="{post.pk}"' in client.get("/search/?q=quokkamagic").content.decode()
    actions.post_delete(actor=moderator, post=post)
    assert "quokkamagic" not in client.get(topic.get_absolute_url()).content.decode()
    assert f'data-post-id="{post.pk}"' not in client.get("/search/?q=quokkamagic").content.decode()
    assert client.get(topic.post_url(post.number)).status_code == 404
    # moderators still see it (to restore it)
    mod_page = login(moderator).get(topic.get_absolute_url()).content.decode()
    assert "This post was deleted." in mod_page and f"/p/{post.pk}/restore" in mod_page


def test_deleted_topic_disappears_from_lists_and_feeds(client, topic, author):
    actions.post_delete(actor=author, post=topic.posts.get(number=1))
    assert topic.title not in client.get("/").content.decode()
    assert topic.title not in client.get("/feeds/latest.rss").content.decode()
    assert client.get(topic.get_absolute_url()).status_code == 404


def test_feed_lists_latest_topics_with_plain_text_excerpt(client, make_topic):
    make_topic(title="Feed me", raw="Some **bold** <script>alert(1)</script> text")
    response = client.get("/feeds/latest.rss")
    body = response.content.decode()
    assert response["Content-Type"].startswith("application/rss+xml")
    assert "<title>Feed me</title>" in body
    assert "<script>" not in body and "&lt;strong&gt;" not in body


# --- Writing through forms (no JavaScript) ------------------------------------------------------------------------

def test_reply_form_posts_and_redirects_to_permalink(topic, reader, login):
    member = login(reader)
    actions.draft_save(user=reader, topic=topic, raw="draft text")
    response = member.post(topic.get_absolute_url() + "reply", {"raw": "Plain form reply", "token": "abc"})
    post = Post.objects.get(topic=topic, number=2)
    assert response.status_code == 302 and response.url == topic.post_url(2)
    assert post.author == reader and post.raw == "Plain form reply"
    assert not Draft.objects.filter(user=reader, topic=topic).exists()


def test_same_form_token_twice_makes_one_post(topic, reader, login):
    member = login(reader)
    data = {"raw": "Double click!", "token": "f0rm-t0ken"}
    member.post(topic.get_absolute_url() + "reply", data)
    member.post(topic.get_absolute_url() + "reply", data)
    assert Post.objects.filter(topic=topic, author=reader).count() == 1


def test_extra_fields_are_ignored(category, reader, other_member, login):
    member = login(reader)
    response = member.post("/t/new/", {
        "title": "Sneaky topic", "category": category.pk, "raw": "Body", "tags": "",
        "is_pinned": "on", "pinned": "on", "locked": "on", "author": other_member.pk, "approved": "",
        "view_count": 999,
    })
    assert response.status_code == 302
    topic = Topic.objects.get(title="Sneaky topic")
    assert topic.author == reader and not topic.pinned and not topic.locked and topic.view_count == 0
    member.post(topic.get_absolute_url() + "reply", {"raw": "reply", "author": other_member.pk, "number": 7,
                                                     "hidden": "on", "approved": "0"})
    reply = Post.objects.get(topic=topic, number=2)
    assert reply.author == reader and not reply.hidden and reply.approved


def test_new_topic_form_only_offers_readable_categories(secret, category, reader, login):
    html = login(reader).get("/t/new/").content.decode()
    assert "General" in html and "Insiders" not in html
    response = login(reader).post("/t/new/", {"title": "Try", "category": secret.pk, "raw": "x"})
    assert response.status_code == 200 and not Topic.objects.filter(title="Try").exists()


def test_editing_someone_elses_post_is_refused_by_the_view(topic, reader, login):
    post = topic.posts.get(number=1)
    member = login(reader)
    response = member.post(f"/p/{post.pk}/edit", {"raw": "Defaced", "title": "Defaced title"})
    assert response.status_code == 302
    post.refresh_from_db()
    topic.refresh_from_db()
    assert post.raw != "Defaced" and topic.title != "Defaced title"
    assert member.get(f"/p/{post.pk}/edit").status_code == 302


def test_author_edits_via_form_and_revision_page_shows_history(client, topic, author, login):
    post = topic.posts.get(number=1)
    member = login(author)
    assert member.get(f"/p/{post.pk}/edit").status_code == 200
    member.post(f"/p/{post.pk}/edit", {"raw": "New words", "title": "New title", "tags": ""})
    page = client.get(Topic.objects.get(pk=topic.pk).get_absolute_url()).content.decode()
    assert "New words" in page and ">edited<" in page
    history = client.get(f"/p/{post.pk}/revisions").content.decode()
    assert "The first post of this topic." in history


def test_locked_topic_refuses_replies_in_view(topic, reader, moderator, login):
    actions.topic_lock(actor=moderator, topic=topic)
    member = login(reader)
    page = member.get(topic.get_absolute_url()).content.decode()
    assert "This topic is locked" in page and 'class="reply-form"' not in page
    response = member.post(topic.get_absolute_url() + "reply", {"raw": "let me in", "token": "x"})
    assert response.status_code == 302
    assert not Post.objects.filter(topic=topic, author=reader).exists()


def test_silenced_member_reads_but_cannot_post(topic, reader, moderator, login):
    actions.member_silence(actor=moderator, member=reader, days=2, reason="Please cool down")
    member = login(reader)
    page = member.get(topic.get_absolute_url())
    assert page.status_code == 200 and "Please cool down" in page.content.decode()
    assert member.get("/").status_code == 200
    member.post(topic.get_absolute_url() + "reply", {"raw": "Can I?", "token": "y"})
    assert not Post.objects.filter(author=reader).exists()
    member.post(f"/p/{topic.posts.get(number=1).pk}/react", {"kind": "like"})
    assert not Reaction.objects.exists()


def test_quote_link_prefills_reply_form(topic, reader, login):
    html = login(reader).get(topic.get_absolute_url() + "reply?quote=1").content.decode()
    assert 'name="quote_post"' in html and "The first post of this topic." in html


# --- Reactions, bookmarks, accept (htmx and plain) -------------------------------------------------------------------

def test_reaction_with_htmx_returns_fragment(topic, reader, login):
    post = topic.posts.get(number=1)
    member = login(reader)
    response = member.post(f"/p/{post.pk}/react", {"kind": "heart"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<form")
    assert 'data-count="heart">1<' in html and 'aria-pressed="true"' in html
    plain = member.post(f"/p/{post.pk}/react", {"kind": "heart"})
    assert plain.status_code == 302 and not Reaction.objects.exists()


def test_bookmark_and_bookmarks_page(topic, reader, login):
    post = topic.posts.get(number=1)
    member = login(reader)
    member.post(f"/p/{post.pk}/bookmark")
    page = member.get("/bookmarks/").content.decode()
    assert topic.title in page
    assert 'aria-pressed="true">Bookmarked' in member.get(topic.get_absolute_url()).content.decode()


def test_accept_via_view(make_category, make_topic, author, reader, login):
    qa = make_category(qa_mode=True)
    question = make_topic(cat=qa)
    answer = actions.reply_create(author=reader, topic=question, raw="Try this")
    assert login(reader).post(f"/p/{answer.pk}/accept").status_code == 302
    assert Topic.objects.get(pk=question.pk).accepted_answer_id is None
    login(author).post(f"/p/{answer.pk}/accept")
    assert Topic.objects.get(pk=question.pk).accepted_answer_id == answer.pk


def test_subscription_form(topic, reader, login):
    login(reader).post(topic.get_absolute_url() + "subscription", {"level": "watching"})
    assert reader.forum_subscriptions.get(topic=topic).level == "watching"


def test_draft_autosave_endpoint_and_restore(topic, reader, login, category):
    member = login(reader)
    response = member.post(topic.get_absolute_url() + "draft", {"raw": "typing..."})
    assert response.json() == {"saved": True}
    assert "typing..." in member.get(topic.get_absolute_url()).content.decode()
    member.post("/t/draft", {"title": "Idea", "raw": "Body so far", "category": category.pk})
    html = member.get("/t/new/").content.decode()
    assert 'value="Idea"' in html and "Body so far" in html
    assert Client().post(topic.get_absolute_url() + "draft", {"raw": "x"}).status_code == 302


# --- Read state -----------------------------------------------------------------------------------------------------

def test_read_state_drives_unread_and_new(topic, make_topic, reader, add_replies, login, settled_member):
    add_replies(topic, 24)
    fresh = make_topic(title="Never opened")
    member = login(reader)
    home = member.get("/").content.decode()
    assert "2 new topics" in home
    member.get(topic.get_absolute_url())  # reads posts 1-20
    page = member.get(topic.get_absolute_url()).content.decode()
    assert f'href="{topic.post_url(21)}">Jump to the first unread post' in page
    home = member.get("/").content.decode()
    assert f'class="unread-link" href="{topic.post_url(21)}"' in home
    assert "1 new topic" in home and fresh.title in home
    assert topic.title in member.get("/unread/").content.decode()
    member.get(topic.get_absolute_url() + "?page=2")
    assert topic.title not in member.get("/unread/").content.decode()
    actions.reply_create(author=settled_member(), topic=topic, raw="One more")
    assert topic.title in member.get("/unread/").content.decode()


def test_topic_views_counted_once_per_member(topic, reader, login):
    member = login(reader)
    member.get(topic.get_absolute_url())
    member.get(topic.get_absolute_url())
    assert Topic.objects.get(pk=topic.pk).view_count == 1


def test_muted_topic_hidden_from_latest(topic, reader, login):
    actions.subscription_set(user=reader, topic=topic, level="muted")
    assert topic.title not in login(reader).get("/").content.decode()


# --- Moderation pages ------------------------------------------------------------------------------------------------

def test_review_queue_for_moderators_only(topic, reader, settled_member, moderator, login):
    post = actions.reply_create(author=reader, topic=topic, raw="Flag me")
    actions.flag_create(user=settled_member(), post=post, reason="spam", message="looks like spam")
    assert login(reader).get("/review/").status_code == 404
    page = login(moderator).get("/review/").content.decode()
    assert "Flag me" in page and "looks like spam" in page
    login(moderator).post(f"/review/posts/{post.pk}", {"action": "hide", "reason": "spam"})
    assert Post.objects.get(pk=post.pk).hidden
    assert "Flag me" not in login(moderator).get("/review/").content.decode()  # decided: out of the queue
    log = login(moderator).get("/review/audit/").content.decode()
    assert "forum.post.hide" in log
    assert login(reader).get("/review/audit/").status_code == 404


def test_flag_form(topic, reader, login):
    post = topic.posts.get(number=1)
    member = login(reader)
    assert member.get(f"/p/{post.pk}/flag").status_code == 200
    member.post(f"/p/{post.pk}/flag", {"reason": "off_topic", "message": "wrong place"})
    assert post.flags.get().message == "wrong place"


def test_member_moderation_form_silences_with_reason(reader, moderator, login):
    mod = login(moderator)
    response = mod.post(f"/review/members/{reader.pk}/", {"action": "silence", "days": 3, "reason": "Spam"})
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.is_silenced() and reader.moderation_reason == "Spam"
    assert AuditLog.objects.filter(actor=moderator, action="forum.member.silence").exists()
    assert login(reader).get(f"/review/members/{moderator.pk}/").status_code == 404


def test_topic_moderation_form(topic, moderator, reader, login, make_category):
    url = topic.get_absolute_url() + "moderate"
    assert login(reader).post(url, {"action": "lock"}).status_code == 404
    mod = login(moderator)
    mod.post(url, {"action": "pin"})
    mod.post(url, {"action": "close"})
    target = make_category(name="Elsewhere")
    mod.post(url, {"action": "move", "category": target.pk})
    topic.refresh_from_db()
    assert topic.pinned and topic.closed and topic.category_id == target.pk
    other = actions.topic_create(author=moderator, category=target, title="Keep this one", raw="x")
    response = mod.post(url, {"action": "merge", "target": other.pk})
    assert response.status_code == 302 and response.url == other.get_absolute_url()
    assert login(reader).get(topic.get_absolute_url()).url == f"/t/-/{other.pk}/"


def test_anonymous_views_are_written_ten_at_a_time(client, topic):
    for _ in range(9):
        client.get(topic.get_absolute_url())
    assert Topic.objects.get(pk=topic.pk).view_count == 0
    client.get(topic.get_absolute_url())
    assert Topic.objects.get(pk=topic.pk).view_count == 10


# --- Live streams on pages -----------------------------------------------------------------------------------

def _live_streams(html: str, marker: str) -> str:
    """The data-live-streams value of the element whose opening tag contains `marker`."""
    import re

    for tag in re.findall(r"<[a-z]+ [^>]*>", html):
        if marker in tag:
            match = re.search(r'data-live-streams="([^"]*)"', tag)
            assert match, tag
            return match.group(1)
    raise AssertionError(f"no element with {marker}")


def _head(stream: str) -> int:
    from community.live.selectors import stream_head

    return stream_head(stream)


def test_topic_page_carries_its_stream_head_and_a_live_reply_count(client, topic, reader):
    from community import realtime

    actions.reply_create(author=reader, topic=topic, raw="First reply.")
    actions.reply_create(author=reader, topic=topic, raw="Second reply.")
    stream = realtime.topic_stream(topic.pk)
    assert _head(stream) > 0
    html = client.get(topic.get_absolute_url()).content.decode()
    assert _live_streams(html, 'class="topic"') == f"{stream}@{_head(stream)}"
    assert "<span data-reply-count>2 replies</span>" in html


def test_topic_page_of_a_stream_without_events_starts_at_zero(client, topic):
    from community import realtime
    from community.live.models import StreamCounter

    StreamCounter.objects.filter(stream=realtime.topic_stream(topic.pk)).delete()
    html = client.get(topic.get_absolute_url()).content.decode()
    assert _live_streams(html, 'class="topic"') == f"topic.{topic.pk}@0"


def test_lists_carry_their_stream_head_also_when_empty(client, make_category, make_topic):
    from community import realtime

    empty = make_category(name="Quiet corner", slug="quiet")
    html = client.get("/c/quiet/").content.decode()
    assert "No topics here yet." in html
    stream = realtime.category_stream(empty.pk)
    assert _live_streams(html, "topic-list-wrap") == f"{stream}@{_head(stream)}"

    busy = make_category(name="Busy", slug="busy")
    make_topic(cat=busy)
    make_topic(cat=busy)
    html = client.get("/c/busy/").content.decode()
    stream = realtime.category_stream(busy.pk)
    assert _head(stream) == 2
    assert _live_streams(html, "topic-list-wrap") == f"{stream}@2"

    html = client.get("/").content.decode()
    assert _live_streams(html, "topic-list-wrap") == f"latest@{_head(realtime.latest_stream())}"
    assert _head(realtime.latest_stream()) == 2


def test_empty_latest_list_still_carries_the_latest_stream(client, db):
    from community import realtime

    html = client.get("/").content.decode()
    assert "No topics here yet." in html
    assert _live_streams(html, "topic-list-wrap") == f"latest@{_head(realtime.latest_stream())}"


def test_list_head_is_read_with_the_rows(make_category, make_topic, reader):
    """The head on a list page is the one its rows were read with (same query), never a later one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from community.forum import selectors

    busy = make_category(slug="rows")
    make_topic(cat=busy)
    with CaptureQueriesContext(connection) as ctx:
        page = selectors.topic_list(reader, category=busy)
    heads = [q["sql"] for q in ctx.captured_queries if "live_streamcounter" in q["sql"]]
    assert len(heads) == 1 and "forum_topic" in heads[0]  # one query: the topic rows and the head
    assert page.live_streams == f"category.{busy.pk}@1"


def test_reply_form_carries_a_fresh_token_on_every_render(login, topic, reader):
    """The token makes a double submit one post; each page load must get its own (never a cached one)."""
    import re

    client = login(reader)
    tokens = [re.search(r'<input type="hidden" name="token" id="id_token" value="([0-9a-f]{32})">',
                        client.get(topic.get_absolute_url()).content.decode()).group(1) for _ in range(2)]
    assert tokens[0] != tokens[1]
