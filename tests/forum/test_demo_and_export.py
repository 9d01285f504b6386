"""Demo data (idempotent, through the actions) and the member's export and erasure."""

from __future__ import annotations

import pytest

from community.forum import actions
from community.forum.export import member_data, member_erase
from community.forum.models import AccessLevel, Bookmark, Category, Draft, Post, Topic

pytestmark = pytest.mark.django_db


def test_demo_seed_is_complete_and_idempotent():
    from community.forum.demo import seed

    topics = seed()
    counts = (Category.objects.count(), Topic.objects.count(), Post.objects.count())
    seed()
    assert (Category.objects.count(), Topic.objects.count(), Post.objects.count()) == counts
    assert Category.objects.filter(qa_mode=True).exists()
    assert Category.objects.filter(access_level=AccessLevel.MEMBERS).exists()
    assert {t.language for t in topics.values()} >= {"en", "sw", "lv", "hy"}
    assert Topic.objects.filter(accepted_answer__isnull=False, category__qa_mode=True).exists()
    assert Topic.objects.filter(tags__isnull=False).distinct().count() == len(topics)
    assert Topic.objects.filter(reply_count__gt=0).count() == len(topics)
    assert any(p.reaction_counts for p in Post.objects.all())
    assert Topic.objects.filter(pinned=True).exists()
    first_sw = Topic.objects.get(language="sw").posts.get(number=1)
    assert first_sw.search_config == "simple"


def test_member_data_and_erase(topic, author, reader):
    reply = actions.reply_create(author=reader, topic=topic, raw="My words")
    actions.post_edit(editor=reader, post=reply, raw="My better words")
    actions.reaction_toggle(user=reader, post=topic.posts.get(number=1), kind="like")
    actions.bookmark_toggle(user=reader, post=topic.posts.get(number=1))
    actions.draft_save(user=reader, topic=topic, raw="unsent")
    actions.subscription_set(user=reader, topic=topic, level="watching")
    data = member_data(reader)
    assert data["posts"][0]["text"] == "My better words"
    assert data["posts"][0]["revisions"][0]["text"] == "My words"
    assert data["reactions"][0]["kind"] == "like"
    assert data["bookmarks"][0]["post"] == topic.posts.get(number=1).pk
    assert data["drafts"][0]["text"] == "unsent"
    assert member_data(author)["topics"][0]["title"] == topic.title
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    json.dumps(data, cls=DjangoJSONEncoder)
    result = member_erase(reader)
    assert result["drafts"] == 1 and result["bookmarks"] == 1
    assert not Draft.objects.filter(user=reader).exists() and not Bookmark.objects.filter(user=reader).exists()
    assert Post.objects.filter(author=reader).count() == 1  # contributions stay
