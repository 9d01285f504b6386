"""Sitemaps of public pages. `sitemaps` is the one dict /sitemap.xml serves; other apps may add theirs:

    from community.content.sitemaps import sitemaps
    sitemaps["events"] = EventSitemap
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from community.content.models import Article


class ArticleSitemap(Sitemap):
    """Public articles only: drafts, future, archived and members-only articles never appear."""

    changefreq = "weekly"
    priority = 0.6
    limit = 5000

    def items(self):
        return Article.objects.public().order_by("-publish_at", "-pk").only("slug", "updated_at", "publish_at")

    def lastmod(self, item: Article):
        return max(item.updated_at, item.publish_at)

    def location(self, item: Article) -> str:
        return item.get_absolute_url()


class BlogSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.7

    def items(self) -> list[str]:
        return ["content:article_list"]

    def location(self, item: str) -> str:
        return reverse(item)


sitemaps: dict[str, type[Sitemap]] = {"blog": BlogSitemap, "articles": ArticleSitemap}
