"""RSS feeds of the latest topics, overall and per category; they show only what the reader may read."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from community.forum import selectors
from community.forum.models import Category, Post, Topic
from community.markup import excerpt

FEED_ITEMS = 30


class LatestTopicsFeed(Feed):
    description = _("The latest topics of the community forum.")

    def __call__(self, request: HttpRequest, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, slug: str | None = None) -> Category | None:
        return selectors.category_for(request.user, slug) if slug else None

    def title(self, obj: Category | None) -> str:
        from django.conf import settings

        return f"{settings.SITE_NAME}: {obj.name}" if obj else f"{settings.SITE_NAME}: {_('Latest topics')}"

    def link(self, obj: Category | None) -> str:
        return obj.get_absolute_url() if obj else "/"

    def items(self, obj: Category | None):
        qs = Topic.objects.visible_to(self.request.user).filter(merged_into__isnull=True, approved=True)
        if obj is not None:
            qs = qs.filter(category=obj)
        first = Post.objects.filter(topic=OuterRef("pk"), number=1).values("html")[:1]
        return list(qs.annotate(first_html=Subquery(first)).select_related("author", "category")
                    .order_by("-created_at")[:FEED_ITEMS])

    def item_title(self, item: Topic) -> str:
        return item.title

    def item_description(self, item: Topic) -> str:
        return excerpt(item.first_html or "", 300)

    def item_link(self, item: Topic) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Topic):
        return item.created_at

    def item_author_name(self, item: Topic) -> str:
        return item.author.name if item.author else ""

    def item_categories(self, item: Topic) -> list[str]:
        return [item.category.name]


def latest_feed(request: HttpRequest, slug: str | None = None):
    """A fresh feed object per request: the feed keeps the request (whose member decides what is shown)."""
    return LatestTopicsFeed()(request, **({"slug": slug} if slug else {}))
