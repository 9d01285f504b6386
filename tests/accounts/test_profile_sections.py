"""Other apps add sections to the public profile (loyalty: tier, badges, streaks, points)."""

from __future__ import annotations

import pytest

from community.metrics.actions import record


@pytest.mark.django_db
def test_profile_shows_loyalty_section(client, member, django_assert_max_num_queries):
    from community.forum.models import Category, Topic

    category = Category.objects.create(name="General", slug="general")
    topic = Topic.objects.create(category=category, title="Hello", slug="hello", author=member)
    record(member=member, kind="topic.created", subject=topic)
    with django_assert_max_num_queries(25):
        response = client.get(member.get_absolute_url())
    assert response.status_code == 200
    assert "loyalty/_profile_section.html" in [t.name for t in response.templates]
    assert response.context["loyalty_member"] == member
