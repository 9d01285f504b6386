"""Real concurrency on PostgreSQL: threads, each with its own database connection."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone

from community.forum import actions
from community.forum.models import Post, Reaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_in_threads(calls, workers: int = 20) -> list:
    barrier = threading.Barrier(workers)

    def run(call):
        try:
            try:
                barrier.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


def test_100_concurrent_like_unlike_leave_count_equal_to_distinct_likers(make_member, topic):
    post = Post.objects.get(topic=topic, number=1)
    likers = [make_member(date_joined=timezone.now() - timezone.timedelta(days=30)) for _ in range(25)]
    rng = random.Random(3)
    # 100 toggles: every member toggles 4 times, in a shuffled order, so some end liking and some not.
    calls = []
    for member in likers:
        calls += [member] * rng.choice([3, 4, 5])
    calls = calls[:100] if len(calls) >= 100 else calls + likers[: 100 - len(calls)]
    rng.shuffle(calls)
    assert len(calls) == 100

    def toggle(member):
        return lambda: actions.reaction_toggle(user=member, post=Post.objects.get(pk=post.pk), kind="like")

    _run_in_threads([toggle(m) for m in calls])
    post.refresh_from_db()
    distinct = Reaction.objects.filter(post=post, kind="like").values("user").distinct().count()
    expected = sum(1 for m in likers if calls.count(m) % 2 == 1)
    assert distinct == expected
    assert post.reaction_counts.get("like", 0) == distinct
    topic.refresh_from_db()
    assert topic.like_count == distinct


def test_same_token_submitted_concurrently_makes_one_post(make_member, topic):
    replier = make_member(date_joined=timezone.now() - timezone.timedelta(days=30))

    def submit():
        return actions.reply_create(author=replier, topic=topic, raw="Only once, please.", token="same-form").pk

    ids = _run_in_threads([submit] * 10, workers=10)
    assert len(set(ids)) == 1
    assert Post.objects.filter(topic=topic, author=replier).count() == 1


def test_concurrent_replies_get_distinct_numbers(make_member, topic):
    repliers = [make_member(date_joined=timezone.now() - timezone.timedelta(days=30)) for _ in range(10)]

    def reply(member):
        return lambda: actions.reply_create(author=member, topic=topic, raw="At the same time").number

    numbers = _run_in_threads([reply(m) for m in repliers], workers=10)
    assert sorted(numbers) == list(range(2, 12))
    topic.refresh_from_db()
    assert topic.reply_count == 10 and topic.last_post_number == 11
