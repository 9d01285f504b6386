from __future__ import annotations

import pytest

from community.metrics.models import DailyActivity, Participation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _track_visits(settings):
    settings.METRICS_TRACK_VISITS = True


def test_visit_recorded_once_a_day_and_last_seen(member, member_client):
    for _ in range(3):
        member_client.get("/healthz")
    assert Participation.objects.filter(member=member, kind="visit.day").count() == 1
    assert DailyActivity.objects.get(member=member).visits == 1
    member.refresh_from_db()
    assert member.last_seen_at is not None


def test_visit_not_recorded_twice_when_cache_is_lost(member, member_client):
    from django.core.cache import cache

    member_client.get("/healthz")
    cache.clear()  # another worker, or a restarted cache: the roll-up still says "visited today"
    member_client.get("/healthz")
    assert Participation.objects.filter(member=member, kind="visit.day").count() == 1


def test_anonymous_requests_write_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/dashboard/").status_code == 302
