from django.contrib.sitemaps.views import sitemap
from django.urls import path

from community.content import feeds
from community.content.sitemaps import sitemaps
from community.content.views import articles, newsletters, public

app_name = "content"

urlpatterns = [
    # The blog
    path("blog/", articles.article_list, name="article_list"),
    path("blog/write/", articles.article_write, name="article_write"),
    path("blog/drafts/", articles.editor_articles, name="editor_articles"),
    path("blog/tag/<str:tag>/", articles.article_list, name="tag"),
    path("blog/tag/<str:tag>/follow/", articles.tag_follow_toggle, name="tag_follow"),
    path("blog/<str:slug>/", articles.article_detail, name="article"),
    path("blog/<str:slug>/edit/", articles.article_edit, name="article_edit"),
    path("blog/<str:slug>/preview/", articles.article_preview, name="article_preview"),
    path("blog/<str:slug>/status/", articles.article_status, name="article_status"),
    path("blog/<str:slug>/helpful/", articles.article_helpful, name="article_helpful"),
    # Feeds and the sitemap
    path("feeds/articles.rss", feeds.ArticlesFeed(), name="feed_rss"),
    path("feeds/articles.atom", feeds.ArticlesAtomFeed(), name="feed_atom"),
    path("feeds/tag/<str:slug>.rss", feeds.TagFeed(), name="feed_tag_rss"),
    path("feeds/tag/<str:slug>.atom", feeds.TagAtomFeed(), name="feed_tag_atom"),
    path("feeds/lang/<str:code>.rss", feeds.LanguageFeed(), name="feed_language_rss"),
    path("feeds/lang/<str:code>.atom", feeds.LanguageAtomFeed(), name="feed_language_atom"),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    # Newsletters: editors
    path("newsletters/", newsletters.issue_list, name="issue_list"),
    path("newsletters/new/", newsletters.issue_new, name="issue_new"),
    path("newsletters/<int:pk>/", newsletters.issue_edit, name="issue_edit"),
    path("newsletters/<int:pk>/preview/", newsletters.issue_preview, name="issue_preview"),
    path("newsletters/<int:pk>/preview/message/", newsletters.issue_preview_message, name="issue_preview_message"),
    path("newsletters/<int:pk>/test/", newsletters.issue_test, name="issue_test"),
    path("newsletters/<int:pk>/state/", newsletters.issue_state, name="issue_state"),
    path("newsletters/<int:pk>/report/", newsletters.issue_report, name="issue_report"),
    path("newsletters/segments/", newsletters.segment_list, name="segment_list"),
    path("newsletters/segments/new/", newsletters.segment_edit, name="segment_new"),
    path("newsletters/segments/<int:pk>/", newsletters.segment_edit, name="segment_edit"),
    # Newsletters: readers, mail providers
    path("newsletters/subscribe/", public.subscribe, name="subscribe"),
    path("newsletters/confirm/<str:token>/", public.subscriber_confirm, name="subscriber_confirm"),
    path("newsletters/unsubscribe/<str:token>/", public.newsletter_unsubscribe, name="newsletter_unsubscribe"),
    path("newsletters/preferences/", public.member_preferences, name="member_preferences"),
    path("newsletters/preferences/<str:token>/", public.subscriber_preferences, name="subscriber_preferences"),
    path("newsletters/webhooks/bounce", public.bounce_webhook, name="bounce_webhook"),
    path("n/o/<str:token>.gif", public.track_open, name="track_open"),
    path("n/c/<str:token>/", public.track_click, name="track_click"),
]
