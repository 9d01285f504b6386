from __future__ import annotations

import pytest
from django.core.management import call_command

from community.metrics.actions import record
from community.metrics.models import DailyActivity, Participation
from tests.metrics.conftest import at

pytestmark = pytest.mark.django_db


def _snapshot():
    return sorted(DailyActivity.objects.values_list("member_id", "day", "total", "replies", "visits", "contributions",
                                                    "engaged", "extra"))


def test_rebuild_matches_live_rollup_and_is_idempotent(member, other_member):
    record(member=member, kind="post.replied", at=at("2026-01-05"))
    record(member=member, kind="visit.day", at=at("2026-01-05"))
    record(member=member, kind="webinar.watched", at=at("2026-01-06"))
    record(member=other_member, kind="reaction.given", at=at("2026-01-06"))
    live = _snapshot()
    DailyActivity.objects.all().delete()
    call_command("metrics_backfill", "--ledger-only")
    assert _snapshot() == live
    call_command("metrics_backfill")
    call_command("metrics_backfill", "--since", "2026-01-06")
    assert _snapshot() == live
    assert Participation.objects.count() == 4


def test_backfill_imports_forum_history_once(member, other_member):
    from community.metrics.reports.sources import model

    Category = model("forum", "Category", "slug")
    Topic = model("forum", "Topic", "author", "created_at")
    Post = model("forum", "Post", "topic", "number")
    if not (Category and Topic and Post):
        pytest.skip("forum models not available")
    category = Category.objects.create(name="Help", slug="help")
    topic = Topic.objects.create(category=category, title="How?", slug="how", author=member, created_at=at("2026-02-01"))
    Post.objects.create(topic=topic, number=1, author=member, raw="q", html="<p>q</p>", created_at=at("2026-02-01"))
    Post.objects.create(topic=topic, number=2, author=other_member, raw="a", html="<p>a</p>",
                        created_at=at("2026-02-02"))
    call_command("metrics_backfill")
    call_command("metrics_backfill")
    kinds = sorted(Participation.objects.values_list("kind", flat=True))
    assert kinds == ["post.replied", "topic.created"]
    assert DailyActivity.objects.get(member=other_member).replies == 1
