"""Who may read, post and moderate: the checks the actions, pages and the live layer share."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from community.forum import actions, permissions, selectors
from community.forum.models import AccessLevel, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(make_category):
    return make_category(access_level=AccessLevel.ROLES, access_groups=[Group.objects.create(name="VIP")])


def test_visible_category_ids(category, members_only, restricted, reader, moderator):
    anonymous = AnonymousUser()
    assert permissions.visible_category_ids(anonymous) == {category.pk}
    assert permissions.visible_category_ids(reader) == {category.pk, members_only.pk}
    assert permissions.visible_category_ids(moderator) is None
    reader.groups.add(Group.objects.get(name="VIP"))
    assert permissions.visible_category_ids(reader) is None  # every category


def test_visible_category_ids_none_when_all_public(category, reader):
    assert permissions.visible_category_ids(AnonymousUser()) is None
    assert permissions.visible_category_ids(reader) is None


def test_category_moderator_sees_their_restricted_category(make_category, restricted, settled_member):
    mod = settled_member()
    hidden = make_category(access_level=AccessLevel.ROLES, moderators=[mod])
    assert permissions.can_view_category(mod, hidden)
    assert not permissions.can_view_category(mod, restricted)
    assert permissions.visible_category_ids(mod) == {hidden.pk}
    assert permissions.can_moderate(mod, hidden)


def test_topic_visible_to_for_the_live_layer(make_topic, restricted, staff_member, reader, moderator, author):
    secret = make_topic(by=staff_member, cat=restricted)
    public = make_topic()
    assert selectors.topic_visible_to(reader, public.pk)
    assert selectors.topic_visible_to(AnonymousUser(), public.pk)
    assert not selectors.topic_visible_to(reader, secret.pk)
    assert selectors.topic_visible_to(moderator, secret.pk)
    assert not selectors.topic_visible_to(reader, 10_000)
    actions.post_delete(actor=author, post=public.posts.get(number=1))
    assert not selectors.topic_visible_to(reader, public.pk)
    assert selectors.topic_visible_to(moderator, public.pk)


def test_topic_queryset_visible_to(make_topic, members_only, reader):
    public, private = make_topic(), make_topic(cat=members_only)
    assert set(Topic.objects.visible_to(AnonymousUser())) == {public}
    assert set(Topic.objects.visible_to(reader)) == {public, private}


def test_can_post_reasons(topic, reader, make_member, moderator):
    assert permissions.can_post(reader, topic)
    assert not permissions.can_post(AnonymousUser(), topic)
    unverified = make_member(verified=False)
    assert "confirm" in permissions.can_post(unverified, topic).reason
    assert permissions.can_post(unverified, topic, full=False)  # the cheap check (showing the form) skips it
    actions.member_suspend(actor=moderator, member=reader, days=1, reason="Spam run")
    decision = permissions.can_post(reader, topic)
    assert not decision and "suspended" in decision.reason and "Spam run" in decision.reason


def test_can_moderate(category, make_category, moderator, reader, manager, staff_member):
    assert permissions.can_moderate(moderator, category)
    assert permissions.can_moderate(manager, category)
    assert permissions.can_moderate(staff_member, category)
    assert not permissions.can_moderate(reader, category)
    assert not permissions.can_moderate(AnonymousUser(), category)


def test_load_permissions_matches_django(make_member, moderator):
    from django.contrib.auth.models import Permission

    direct = make_member()
    direct.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    for user in (moderator, make_member(), direct):
        expected = type(user).objects.get(pk=user.pk).get_all_permissions()
        permissions.load_permissions(user)
        assert user._perm_cache == expected


def test_readers_among_agrees_with_can_view_topic(make_topic, restricted, members_only, settled_member, moderator,
                                                  staff_member, author):
    from django.contrib.auth.models import Permission

    vip, outsider, cat_moderator, direct = (settled_member() for _ in range(4))
    vip.groups.add(restricted.access_groups.get())
    restricted.moderators.add(cat_moderator)
    direct.user_permissions.add(Permission.objects.get(codename="moderate_community"))
    people = [vip, outsider, cat_moderator, direct, moderator, staff_member]
    for category in (restricted, members_only):
        topic = make_topic(cat=category, by=staff_member, title=f"In {category.slug}")
        fresh = [type(p).objects.get(pk=p.pk) for p in people]  # no permission caches carried over
        expected = {p.pk for p in fresh if permissions.can_view_topic(type(p).objects.get(pk=p.pk), topic)}
        assert permissions.readers_among(fresh, topic) == expected
    assert outsider.pk not in permissions.readers_among(people, topic=make_topic(cat=restricted, by=staff_member))


def test_announcing_a_reply_costs_the_same_for_2_or_20_watchers_of_a_restricted_category(
        make_topic, restricted, settled_member, staff_member, notified):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from community.forum import actions
    from community.forum.models import SubscriptionLevel

    topic = make_topic(cat=restricted, by=staff_member, title="Watched closely")
    group = restricted.access_groups.get()

    def reply_with(n: int) -> int:
        for _ in range(n):
            watcher = settled_member()
            watcher.groups.add(group)
            actions.subscription_set(user=watcher, category=restricted, level=SubscriptionLevel.WATCHING)
        with CaptureQueriesContext(connection) as ctx:
            actions.reply_create(author=staff_member, topic=topic, raw=f"News for {n}")
        return len(ctx.captured_queries)

    few = reply_with(2)
    assert reply_with(18) == few  # 20 watchers now
    assert len([c for c in notified.calls if c["kind"] == "watching"]) == 2 + 20
