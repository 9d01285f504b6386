"""RSS and Atom feeds of the blog: all articles, per tag, per language.

Feeds are read by programs that never sign in, so they only ever list public articles (members-only ones are
left out whoever asks). Titles and descriptions are plain text; the feed generator escapes them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext_lazy as _

from community.content.models import Article
from community.content.selectors import tag_for

FEED_LENGTH = 20


class ArticlesFeed(Feed):
    feed_type = Rss201rev2Feed

    def title(self, obj=None) -> str:
        return f"{settings.SITE_NAME}: {_('Tips')}"

    def link(self, obj=None) -> str:
        return "/blog/"

    def description(self, obj=None) -> str:
        return str(_("Tips and stories from the community."))

    def get_queryset(self, obj=None):
        return Article.objects.public()

    def items(self, obj=None):
        return self.get_queryset(obj).with_lists().order_by("-publish_at", "-pk")[:FEED_LENGTH]

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        from community.markup import excerpt

        return item.summary or excerpt(item.body_html, 300)

    def item_pubdate(self, item: Article):
        return item.publish_at

    def item_updateddate(self, item: Article):
        return item.updated_at if item.updated_at and item.updated_at > item.publish_at else item.publish_at

    def item_author_name(self, item: Article) -> str:
        return ", ".join(author.name for author in item.authors.all())

    def item_categories(self, item: Article) -> list[str]:
        return [tag.name for tag in item.tags.all()]


class ArticlesAtomFeed(ArticlesFeed):
    feed_type = Atom1Feed
    subtitle = ArticlesFeed.description


class TagFeed(ArticlesFeed):
    def get_object(self, request, slug: str):
        return tag_for(slug)

    def title(self, obj=None) -> str:
        return f"{settings.SITE_NAME}: {_('Tips')} #{obj.name}"

    def link(self, obj=None) -> str:
        return f"/blog/tag/{obj.slug}/"

    def get_queryset(self, obj=None):
        return Article.objects.public().filter(tags__slug=obj.slug)


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed
    subtitle = ArticlesFeed.description


class LanguageFeed(ArticlesFeed):
    def get_object(self, request, code: str):
        if code not in dict(settings.LANGUAGES):
            raise Http404
        return code

    def title(self, obj=None) -> str:
        return f"{settings.SITE_NAME}: {_('Tips')} ({dict(settings.LANGUAGES)[obj]})"

    def link(self, obj=None) -> str:
        return f"/blog/?language={obj}"

    def get_queryset(self, obj=None):
        return Article.objects.public().filter(language=obj)

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed["language"] = obj  # the feed's <language> is the articles' language, not the reader's
        return feed


class LanguageAtomFeed(LanguageFeed):
    feed_type = Atom1Feed
    subtitle = ArticlesFeed.description
