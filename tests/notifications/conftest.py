"""Factories for notification tests: forum rows made directly through the forum models."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from accounts.models import Delivery, NotificationPreference

_n = itertools.count(1)


@pytest.fixture
def set_pref():
    def set_(user, kind: str, delivery: str) -> None:
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"delivery": delivery})

    return set_


@pytest.fixture
def make_category(db):
    from community.forum.models import AccessLevel, Category

    def make(*, access_level=AccessLevel.MEMBERS, groups=(), **fields):
        n = next(_n)
        category = Category.objects.create(name=fields.pop("name", f"Category {n}"), slug=f"category-{n}",
                                           access_level=access_level, **fields)
        if groups:
            category.access_groups.set(groups)
        return category

    return make


@pytest.fixture
def make_topic(db, make_member):
    from community.forum.models import Post, Topic

    def make(*, category, author=None, title=None, replies=0, at=None, tags=(), replier=None, **fields):
        n = next(_n)
        at = at or timezone.now()
        author = author or make_member()
        topic = Topic.objects.create(category=category, title=title or f"Topic {n}", slug=f"topic-{n}",
                                     author=author, last_posted_at=at, created_at=at,
                                     last_post_number=1 + replies, reply_count=replies, **fields)
        Post.objects.create(topic=topic, number=1, author=author, raw="Question", html="<p>Question</p>",
                            created_at=at)
        for i in range(replies):
            Post.objects.create(topic=topic, number=2 + i, author=replier or make_member(), raw="Answer",
                                html="<p>Answer</p>", created_at=at)
        if tags:
            topic.tags.add(*tags)
        return topic

    return make


@pytest.fixture
def watch(db):
    from community.forum.models import Subscription, SubscriptionLevel

    def watch_(user, category) -> None:
        Subscription.objects.create(user=user, category=category, level=SubscriptionLevel.WATCHING)

    return watch_


@pytest.fixture
def read_topic(db):
    from community.forum.models import TopicReadState

    def read(user, topic, number=None) -> None:
        TopicReadState.objects.update_or_create(
            user=user, topic=topic, defaults={"last_read_post_number": topic.last_post_number if number is None else number})

    return read


@pytest.fixture
def email_all(set_pref):
    """Make every kind emailed for a member (the defaults of some kinds are in-app)."""
    from accounts.preferences import KINDS

    def set_all(user) -> None:
        for kind in KINDS:
            set_pref(user, kind.key, Delivery.EMAIL)

    return set_all
