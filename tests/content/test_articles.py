"""Articles: scheduling, visibility, members-only, editing, votes, reads, meta tags, list query counts."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from community.content import actions
from community.content.models import Article, ArticleRead, ArticleStatus, HelpfulVote

EVIL_TITLE = 'Tips "><script>alert(1)</script> & more'


# --- Scheduling ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_scheduled_article_appears_exactly_at_its_time(make_article, editor):
    article = make_article(status=ArticleStatus.DRAFT)
    publish_at = timezone.now() + timedelta(hours=3)
    actions.article_schedule(actor=editor, article=article, publish_at=publish_at)

    before = publish_at - timedelta(seconds=1)
    assert not Article.objects.visible(before).filter(pk=article.pk).exists()
    assert Article.objects.visible(publish_at).filter(pk=article.pk).exists()
    assert Article.objects.visible(publish_at + timedelta(seconds=1)).filter(pk=article.pk).exists()
    # No job had to run: the status is still "scheduled" and the article is visible by query.
    article.refresh_from_db()
    assert article.status == ArticleStatus.SCHEDULED


@pytest.mark.django_db
def test_a_scheduled_article_page_and_list_follow_the_clock(make_article, client):
    article = make_article(status=ArticleStatus.SCHEDULED, publish_at=timezone.now() + timedelta(seconds=60))
    assert client.get(article.get_absolute_url()).status_code == 404
    assert article.title not in client.get("/blog/").content.decode()
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert client.get(article.get_absolute_url()).status_code == 200
    assert article.title in client.get("/blog/").content.decode()


@pytest.mark.django_db
def test_publish_scheduled_articles_only_flips_due_ones(make_article):
    now = timezone.now()
    due = make_article(status=ArticleStatus.SCHEDULED, publish_at=now - timedelta(minutes=1))
    later = make_article(status=ArticleStatus.SCHEDULED, publish_at=now + timedelta(minutes=1))
    call_command("publish_scheduled_articles", stdout=mock.Mock())
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (ArticleStatus.PUBLISHED, ArticleStatus.SCHEDULED)


@pytest.mark.django_db
def test_scheduling_in_the_past_is_refused(make_article, editor):
    with pytest.raises(actions.ArticleError):
        actions.article_schedule(actor=editor, article=make_article(status=ArticleStatus.DRAFT),
                                 publish_at=timezone.now() - timedelta(minutes=1))


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ArticleStatus.DRAFT, ArticleStatus.ARCHIVED])
def test_drafts_and_archived_articles_are_not_visible(make_article, client, member_client, status):
    article = make_article(status=status, publish_at=timezone.now() - timedelta(days=1))
    assert client.get(article.get_absolute_url()).status_code == 404
    assert member_client.get(article.get_absolute_url()).status_code == 404


# --- Members-only ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_members_only_articles_are_hidden_from_visitors(make_article, client, member_client):
    secret = make_article(title="Members secret tip", members_only=True)
    public = make_article(title="Everyone tip")
    assert client.get(secret.get_absolute_url()).status_code == 404
    listing = client.get("/blog/").content.decode()
    assert "Everyone tip" in listing and "Members secret tip" not in listing
    search = client.get("/blog/", {"q": "secret"}).content.decode()
    assert "Members secret tip" not in search
    assert member_client.get(secret.get_absolute_url()).status_code == 200
    assert "Members secret tip" in member_client.get("/blog/", {"q": "secret"}).content.decode()
    assert public.title in client.get("/blog/", {"q": "Everyone"}).content.decode()


# --- Editing and preview -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_editor_writes_previews_and_publishes(editor, login, client):
    editor_client = login(editor)
    response = editor_client.post("/blog/write/", {
        "title": "Reset your router", "summary": "Two steps.", "body": "# Step one\n\nUnplug it.",
        "language": "en", "tags": "setup, network", "preview": "1",
    })
    article = Article.objects.get(title="Reset your router")
    assert response.status_code == 302 and response["Location"] == f"/blog/{article.slug}/preview/"
    assert article.status == ArticleStatus.DRAFT and list(article.authors.all()) == [editor]
    assert sorted(t.name for t in article.tags.all()) == ["network", "setup"]
    assert "<h2>Step one</h2>" in article.body_html  # headings shifted: the page's h1 is the title
    preview = editor_client.get(f"/blog/{article.slug}/preview/")
    assert preview.status_code == 200 and "Unplug it." in preview.content.decode()
    assert client.get(article.get_absolute_url()).status_code == 404

    editor_client.post(f"/blog/{article.slug}/status/", {"action": "publish"})
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED
    assert client.get(article.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_members_cannot_write_edit_or_preview(make_article, member_client, client):
    article = make_article(status=ArticleStatus.DRAFT)
    assert member_client.get("/blog/write/").status_code == 403
    assert member_client.post("/blog/write/", {"title": "x", "body": "y", "language": "en"}).status_code == 403
    assert member_client.get(f"/blog/{article.slug}/edit/").status_code == 404
    assert member_client.get(f"/blog/{article.slug}/preview/").status_code == 404
    assert member_client.post(f"/blog/{article.slug}/status/", {"action": "publish"}).status_code == 404
    assert client.get("/blog/write/").status_code == 302  # to the login page
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT


@pytest.mark.django_db
def test_staff_may_write(staff_member):
    article = actions.article_create(actor=staff_member, title="By staff", body="Hello")
    assert article.slug == "by-staff"


@pytest.mark.django_db
def test_slugs_are_unique_and_avoid_the_editor_pages(editor):
    first = actions.article_create(actor=editor, title="Write", body="a")
    second = actions.article_create(actor=editor, title="Write", body="b")
    assert first.slug != "write" and first.slug != second.slug


@pytest.mark.django_db
def test_unicode_titles_make_readable_slugs(editor):
    article = actions.article_create(actor=editor, title="Ինչպես սկսել", body="Բարեւ", language="hy")
    assert article.slug == "ինչպես-սկսել"


@pytest.mark.django_db
def test_a_cover_image_needs_a_description(editor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    image = SimpleUploadedFile("c.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04"
                               b"\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
                               content_type="image/gif")
    with pytest.raises(actions.ArticleError):
        actions.article_create(actor=editor, title="Cover", body="x", cover_image=image)


@pytest.mark.django_db
def test_reading_time_grows_with_the_body(editor):
    short = actions.article_create(actor=editor, title="Short", body="word " * 10)
    long = actions.article_create(actor=editor, title="Long", body="word " * 1000)
    assert short.reading_minutes == 1 and long.reading_minutes == 5


# --- Reading: votes, reads, related -------------------------------------------------------------------------


@pytest.mark.django_db
def test_helpful_vote_is_one_per_member(make_article, member, member_client):
    article = make_article()
    member_client.post(f"/blog/{article.slug}/helpful/", {"helpful": "yes"})
    member_client.post(f"/blog/{article.slug}/helpful/", {"helpful": "no"})
    votes = HelpfulVote.objects.filter(article=article)
    assert votes.count() == 1 and votes.get().helpful is False


@pytest.mark.django_db
def test_visitors_cannot_vote(make_article, client):
    article = make_article()
    assert client.post(f"/blog/{article.slug}/helpful/", {"helpful": "yes"}).status_code == 302
    assert not HelpfulVote.objects.exists()


@pytest.mark.django_db
def test_reading_is_recorded_once_as_participation(make_article, member, member_client):
    article = make_article()
    with mock.patch("community.content.actions.articles.record") as record:
        member_client.get(article.get_absolute_url())
        member_client.get(article.get_absolute_url())
    record.assert_called_once_with(member=member, kind="article.read", subject=article)
    assert ArticleRead.objects.filter(article=article, member=member).count() == 1


@pytest.mark.django_db
def test_related_articles_share_tags_and_respect_visibility(make_article, client):
    article = make_article(tags=["router", "wifi"])
    best = make_article(title="Both tags", tags=["router", "wifi"])
    some = make_article(title="One tag", tags=["wifi"])
    make_article(title="No shared tag", tags=["billing"])
    make_article(title="Hidden sibling", tags=["router", "wifi"], members_only=True)
    from community.content.selectors import related_articles

    from django.contrib.auth.models import AnonymousUser

    assert related_articles(AnonymousUser(), article) == [best, some]


# --- Meta tags --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_meta_and_open_graph_tags_are_escaped_plain_text(make_article, client):
    article = make_article(title=EVIL_TITLE, summary='Summary "><img src=x onerror=alert(1)>')
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert 'content="Tips &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"' in page
    assert '<meta property="og:title"' in page and '<meta name="twitter:title"' in page


@pytest.mark.django_db
def test_description_falls_back_to_a_plain_excerpt_of_the_body(make_article, client):
    article = make_article(summary="", body='**Bold** text with a [link](https://example.com "t").')
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<meta name="description" content="Bold text with a link.">' in page


# --- Query counts ------------------------------------------------------------------------------------------------


def _count_queries(client, url, django_assert_max_num_queries, limit):
    client.get(url)  # warm up: a member's first request of the day records the visit (metrics middleware)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [2, 20])
def test_blog_list_queries_do_not_grow_with_rows(make_article, client, member_client, rows,
                                                 django_assert_max_num_queries):
    for i in range(rows):
        make_article(tags=[f"tag{i % 3}", "common"])
    _count_queries(client, "/blog/", django_assert_max_num_queries, 6)
    _count_queries(client, "/blog/tag/common/", django_assert_max_num_queries, 7)
    _count_queries(member_client, "/blog/", django_assert_max_num_queries, 12)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [2, 20])
def test_editor_list_queries_do_not_grow_with_rows(make_article, editor, login, rows,
                                                   django_assert_max_num_queries):
    for _ in range(rows):
        make_article(status=ArticleStatus.DRAFT)
    _count_queries(login(editor), "/blog/drafts/", django_assert_max_num_queries, 12)
