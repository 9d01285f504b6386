from django.urls import path

from community.forum import views

app_name = "forum"

urlpatterns = [
    path("", views.latest, name="latest"),
    path("top/", views.top, name="top"),
    path("unanswered/", views.unanswered, name="unanswered"),
    path("unread/", views.unread, name="unread"),
    path("categories/", views.categories, name="categories"),
    path("bookmarks/", views.bookmarks, name="bookmarks"),
    path("search/", views.search, name="search"),
    path("c/<str:slug>/", views.category, name="category"),
    path("c/<str:slug>/subscription", views.category_subscription, name="category_subscription"),
    path("tag/<str:slug>/", views.tag, name="tag"),
    path("t/new/", views.topic_new, name="topic_new"),
    path("t/draft", views.draft, name="draft_new"),
    path("t/<str:slug>/<int:pk>/", views.topic, name="topic"),
    path("t/<str:slug>/<int:pk>/reply", views.reply, name="reply"),
    path("t/<str:slug>/<int:pk>/draft", views.draft, name="draft"),
    path("t/<str:slug>/<int:pk>/subscription", views.topic_subscription, name="topic_subscription"),
    path("t/<str:slug>/<int:pk>/moderate", views.topic_moderate, name="topic_moderate"),
    path("t/<str:slug>/<int:pk>/<int:number>", views.post_permalink, name="post"),
    path("p/<int:pk>/edit", views.post_edit, name="post_edit"),
    path("p/<int:pk>/delete", views.post_delete, name="post_delete"),
    path("p/<int:pk>/restore", views.post_restore, name="post_restore"),
    path("p/<int:pk>/revisions", views.post_revisions, name="post_revisions"),
    path("p/<int:pk>/react", views.react, name="react"),
    path("p/<int:pk>/bookmark", views.bookmark, name="bookmark"),
    path("p/<int:pk>/accept", views.accept, name="accept"),
    path("p/<int:pk>/flag", views.flag, name="flag"),
    path("review/", views.review, name="review"),
    path("review/posts/<int:pk>", views.review_post, name="review_post"),
    path("review/members/<int:pk>/", views.member_moderate, name="member_moderate"),
    path("review/audit/", views.audit_log, name="audit_log"),
    path("feeds/latest.rss", views.latest_feed, name="feed_latest"),
    path("feeds/c/<str:slug>.rss", views.latest_feed, name="feed_category"),
]
