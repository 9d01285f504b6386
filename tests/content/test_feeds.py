"""RSS and Atom feeds and the sitemap: public articles only, plain-text titles, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community.content.models import ArticleStatus

FEEDS = ["/feeds/articles.rss", "/feeds/articles.atom", "/feeds/tag/news.rss", "/feeds/tag/news.atom",
         "/feeds/lang/en.rss", "/feeds/lang/en.atom"]


@pytest.fixture
def mix(make_article):
    return {
        "public": make_article(title="Public tip", tags=["news"]),
        "members": make_article(title="Members tip", tags=["news"], members_only=True),
        "future": make_article(title="Future tip", tags=["news"], status=ArticleStatus.SCHEDULED,
                               publish_at=timezone.now() + timedelta(minutes=5)),
        "draft": make_article(title="Draft tip", tags=["news"], status=ArticleStatus.DRAFT),
        "archived": make_article(title="Archived tip", tags=["news"], status=ArticleStatus.ARCHIVED),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("url", FEEDS)
@pytest.mark.parametrize("signed_in", [False, True])
def test_feeds_list_only_public_articles(mix, client, member_client, url, signed_in):
    response = (member_client if signed_in else client).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Public tip" in body
    for hidden in ("Members tip", "Future tip", "Draft tip", "Archived tip"):
        assert hidden not in body


@pytest.mark.django_db
def test_feed_content_types(mix, client):
    assert client.get("/feeds/articles.rss")["Content-Type"].startswith("application/rss+xml")
    assert client.get("/feeds/articles.atom")["Content-Type"].startswith("application/atom+xml")


@pytest.mark.django_db
def test_language_and_tag_feeds_filter(make_article, client):
    make_article(title="English tip", language="en", tags=["wifi"])
    make_article(title="Kidokezo cha Kiswahili", language="sw", tags=["billing"])
    sw = client.get("/feeds/lang/sw.rss").content.decode()
    assert "Kidokezo cha Kiswahili" in sw and "English tip" not in sw
    wifi = client.get("/feeds/tag/wifi.rss").content.decode()
    assert "English tip" in wifi and "Kidokezo" not in wifi
    assert client.get("/feeds/lang/xx.rss").status_code == 404
    assert client.get("/feeds/tag/nope.rss").status_code == 404


@pytest.mark.django_db
def test_a_scheduled_article_enters_the_feed_at_its_time(make_article, client):
    from community.content.models import Article

    article = make_article(title="Soon tip", status=ArticleStatus.SCHEDULED,
                           publish_at=timezone.now() + timedelta(minutes=10))
    assert "Soon tip" not in client.get("/feeds/articles.rss").content.decode()
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now())
    assert "Soon tip" in client.get("/feeds/articles.rss").content.decode()


@pytest.mark.django_db
def test_feed_titles_are_escaped_text(make_article, client):
    make_article(title='Tips "><script>alert(1)</script>')
    body = client.get("/feeds/articles.rss").content.decode()
    assert "<script>" not in body and "&lt;script&gt;" in body


@pytest.mark.django_db
def test_sitemap_lists_public_articles_only(mix, client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    body = response.content.decode()
    assert mix["public"].get_absolute_url() in body
    assert "/blog/</loc>" in body
    for hidden in ("members", "future", "draft", "archived"):
        assert mix[hidden].get_absolute_url() not in body


@pytest.mark.django_db
def test_sitemaps_dict_is_extensible():
    from community.content.sitemaps import sitemaps

    assert {"articles", "blog"} <= set(sitemaps)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [2, 20])
def test_feed_and_sitemap_queries_do_not_grow_with_rows(make_article, client, rows, django_assert_max_num_queries):
    for i in range(rows):
        make_article(tags=["news", f"t{i}"])
    with django_assert_max_num_queries(4):
        client.get("/feeds/articles.rss")
    with django_assert_max_num_queries(5):
        client.get("/feeds/tag/news.atom")
    with django_assert_max_num_queries(3):
        client.get("/sitemap.xml")
