"""An article's linked discussion topic, opened through the forum's own action."""

from __future__ import annotations

import pytest

from community.content import actions
from community.content.models import Article, ArticleStatus


@pytest.fixture
def tips_category(db, settings):
    from community.forum.models import Category

    settings.CONTENT_DISCUSSION_CATEGORY = "tips"
    return Category.objects.create(name="Tips", slug="tips")


@pytest.mark.django_db
def test_publishing_opens_one_discussion_topic(tips_category, make_article, editor, client):
    article = make_article(status=ArticleStatus.DRAFT, tags=["wifi"])
    actions.article_publish(actor=editor, article=article)
    article.refresh_from_db()
    topic = article.discussion_topic
    assert topic is not None and topic.category == tips_category and topic.title == article.title
    assert [tag.name for tag in topic.tags.all()] == ["wifi"]
    actions.article_unpublish(actor=editor, article=article)
    actions.article_publish(actor=editor, article=article)
    article.refresh_from_db()
    assert article.discussion_topic == topic  # still one topic
    page = client.get(article.get_absolute_url()).content.decode()
    assert topic.get_absolute_url() in page


@pytest.mark.django_db
def test_scheduled_articles_get_their_topic_when_the_command_runs(tips_category, make_article):
    from datetime import timedelta

    from django.utils import timezone

    article = make_article(status=ArticleStatus.SCHEDULED, publish_at=timezone.now() - timedelta(seconds=1))
    assert actions.publish_scheduled_articles() == 1
    assert Article.objects.get(pk=article.pk).discussion_topic is not None


@pytest.mark.django_db
def test_without_a_category_articles_have_no_topic(make_article, editor, settings):
    settings.CONTENT_DISCUSSION_CATEGORY = ""
    article = make_article(status=ArticleStatus.DRAFT)
    actions.article_publish(actor=editor, article=article)
    article.refresh_from_db()
    assert article.discussion_topic is None
